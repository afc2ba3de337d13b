/// A restricted unpickler for PyTorch checkpoints: it rebuilds dicts, lists, tuples, numbers,
/// strings and tensor references, and never executes anything. A call to any other class
/// or function (an `argparse.Namespace` saved beside the weights, say) becomes an opaque
/// value; there is no code path that imports or runs what a pickle names.
public final class Unpickler {
    public struct Failure: Error, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "\(message) (pickle byte \(offset))" }
    }

    private let bytes: [UInt8]
    public private(set) var position: Int
    /// Each value with its tuple nesting depth: tuples are values, so a deep one is
    /// compared and released recursively; the depth is capped (`ReaderLimits.pickleNesting`).
    private struct Slot {
        var value: PickleValue
        var depth: Int
    }

    private var stack: [Slot] = []
    private var memo: [Int: Slot] = [:]
    private var steps = 0
    /// What the values made so far hold, counted to bound memory (`ReaderLimits.pickleHeldBytes`):
    /// entries in lists and dicts, and items of every tuple made (tuples are not tracked once
    /// dropped, so these are counted when made and never taken back).
    private var containerEntries = 0
    private var tupleItems = 0
    /// Every container made, emptied on `deinit` so that long chains of lists or dicts (or
    /// cycles) are released one by one instead of recursively.
    private var lists: [ListBox] = []
    private var dicts: [DictBox] = []
    /// Every storage a tensor refers to, in order of appearance.
    public private(set) var storages: [StorageRef] = []

    public init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    deinit {
        for list in lists { list.items = [] }
        for dict in dicts { dict.entries = [] }
    }

    /// Reads one pickle (up to STOP) from the current position. The lists and dicts in the
    /// result are emptied when the unpickler is released: keep it alive while reading them.
    public func load() throws -> PickleValue {
        stack = []
        memo = [:]
        while true {
            steps += 1
            guard steps <= ReaderLimits.pickleSteps else { throw fail("pickle longer than \(ReaderLimits.pickleSteps) opcodes") }
            guard heldBytes <= ReaderLimits.pickleHeldBytes else {
                throw fail(
                    "pickle builds more than \(ReaderLimits.pickleHeldBytes >> 20) MiB of objects (\(lists.count + dicts.count) lists and dicts, "
                        + "\(stack.count) values on the stack, \(memo.count) memo entries; docs/limits.md)")
            }
            let opcodeAt = position
            let op = try byte()
            switch op {
            case 0x80:  // PROTO
                let version = try byte()
                guard version <= 5 else { throw Failure(offset: opcodeAt, message: "unsupported pickle protocol \(version) (0 to 5 exist)") }
            case 0x95: _ = try take(8)  // FRAME
            case 0x2E:  // STOP
                guard let top = stack.popLast() else { throw Failure(offset: opcodeAt, message: "STOP on an empty stack") }
                return top.value
            case 0x28: push(.mark)  // MARK
            case 0x30: _ = try pop()  // POP
            case 0x31: _ = try popToMark()  // POP_MARK
            case 0x32: stack.append(try peekSlot())  // DUP
            case 0x4E: push(.none)  // NONE
            case 0x88: push(.bool(true))  // NEWTRUE
            case 0x89: push(.bool(false))  // NEWFALSE
            case 0x4A: push(.int(Int(Int32(bitPattern: UInt32(try uint(4))))))  // BININT
            case 0x4B: push(.int(try uint(1)))  // BININT1
            case 0x4D: push(.int(try uint(2)))  // BININT2
            case 0x8A: push(try long(try uint(1)))  // LONG1
            case 0x8B:  // LONG4: a signed length
                let length = Int(Int32(bitPattern: UInt32(try uint(4))))
                guard length >= 0 else { throw Failure(offset: opcodeAt, message: "LONG4 with a negative length (\(length))") }
                push(try long(length))
            case 0x47: push(.float(Double(bitPattern: UInt64(try uintBE(8)))))  // BINFLOAT
            case 0x58: push(.string(try text(try uint(4))))  // BINUNICODE
            case 0x8C: push(.string(try text(try uint(1))))  // SHORT_BINUNICODE
            case 0x8D: push(.string(try text(try uint(8))))  // BINUNICODE8
            case 0x54: push(.string(try text(try uint(4))))  // BINSTRING
            case 0x55: push(.string(try text(try uint(1))))  // SHORT_BINSTRING
            case 0x42: push(.bytes(try take(try uint(4))))  // BINBYTES
            case 0x43: push(.bytes(try take(try uint(1))))  // SHORT_BINBYTES
            case 0x7D: push(.dict(newDict()))  // EMPTY_DICT
            case 0x5D: push(.list(newList()))  // EMPTY_LIST
            case 0x29: push(.tuple([]))  // EMPTY_TUPLE
            case 0x8F: push(.opaque("set"))  // EMPTY_SET
            case 0x74: try pushTuple(try popSlotsToMark())  // TUPLE
            case 0x85: try pushTuple([try popSlot()])  // TUPLE1
            case 0x86: let b = try popSlot(); let a = try popSlot(); try pushTuple([a, b])  // TUPLE2
            case 0x87: let c = try popSlot(); let b = try popSlot(); let a = try popSlot(); try pushTuple([a, b, c])  // TUPLE3
            case 0x6C:  // LIST
                let list = newList()
                list.items = try popToMark()
                containerEntries += list.items.count
                push(.list(list))
            case 0x64:  // DICT
                let items = try popToMark()
                let dict = newDict()
                for i in stride(from: 0, to: items.count - 1, by: 2) { dict.set(items[i], items[i + 1]) }
                containerEntries += dict.entries.count
                push(.dict(dict))
            case 0x61: let v = try pop(); try append([v])  // APPEND
            case 0x65: try append(try popToMark())  // APPENDS
            case 0x90: _ = try popToMark()  // ADDITEMS (sets are opaque)
            case 0x73: let v = try pop(); let k = try pop(); try setItems([k, v])  // SETITEM
            case 0x75: try setItems(try popToMark())  // SETITEMS
            case 0x71: memo[try uint(1)] = try peekSlot()  // BINPUT
            case 0x72: memo[try uint(4)] = try peekSlot()  // LONG_BINPUT
            case 0x94: memo[memo.count] = try peekSlot()  // MEMOIZE
            case 0x68: stack.append(try recallSlot(try uint(1)))  // BINGET
            case 0x6A: stack.append(try recallSlot(try uint(4)))  // LONG_BINGET
            case 0x63:  // GLOBAL
                let module = try line(), name = try line()
                push(.global(module: module, name: name))
            case 0x93:  // STACK_GLOBAL
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else { throw fail("STACK_GLOBAL needs two strings") }
                push(.global(module: module, name: name))
            case 0x51: push(try persistent(try pop()))  // BINPERSID
            case 0x52:  // REDUCE
                let args = try popSlot(), callable = try pop()
                // The result may be one of the arguments (_rebuild_parameter): it keeps their depth.
                stack.append(Slot(value: try call(callable, args.value), depth: args.depth))
            case 0x81:  // NEWOBJ
                let args = try popSlot(), cls = try pop()
                stack.append(Slot(value: try call(cls, args.value), depth: args.depth))
            case 0x62: _ = try pop()  // BUILD: object state is ignored
            default:
                throw Failure(offset: opcodeAt, message: "unsupported pickle opcode 0x\(String(op, radix: 16))")
            }
        }
    }

    /// An estimate of the bytes the values made so far hold, from what each costs in this
    /// reader (measured: an empty dict about 130 bytes, a boxed integer on the stack or a memo
    /// entry about 60-70). A state dict of `ReaderLimits.tensorCount` tensors holds about 100 MB.
    private var heldBytes: Int {
        64 * (stack.count + memo.count) + 128 * (lists.count + dicts.count) + 48 * containerEntries + 16 * tupleItems
    }

    // MARK: - What calls mean

    /// The only callables given meaning are the ones a state dict is made of; the rest are opaque.
    private func call(_ callable: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case .global(let module, let name) = callable else { return .opaque("call") }
        let items: [PickleValue]
        if case .tuple(let t) = args { items = t } else { items = [] }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"):
            return .dict(newDict())
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            guard items.count >= 4, case .storage(let storage) = items[0], case .int(let offset) = items[1],
                case .tuple(let size) = items[2], case .tuple(let stride) = items[3]
            else {
                throw fail("_rebuild_tensor_v2 with unexpected arguments")
            }
            let shape = size.compactMap { if case .int(let v) = $0 { return v } else { return nil } }
            let strides = stride.compactMap { if case .int(let v) = $0 { return v } else { return nil } }
            guard shape.count == size.count, strides.count == stride.count, shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor with a malformed shape") }
            return .tensor(TensorRef(storage: storage, offset: offset, shape: shape, strides: strides))
        case ("torch._utils", "_rebuild_parameter"):
            return items.first ?? .none
        default:
            return .opaque("\(module).\(name)")
        }
    }

    /// ('storage', storage_type, key, location, numel[, view]) -> a reference to that storage.
    private func persistent(_ id: PickleValue) throws -> PickleValue {
        guard case .tuple(let t) = id, t.count >= 5, case .string(let kind) = t[0], kind == "storage",
            case .global(_, let type) = t[1], case .string(let key) = t[2], case .int(let elements) = t[4]
        else {
            throw fail("unsupported persistent id")
        }
        let storage = StorageRef(key: key, dtype: type, elements: elements)
        storages.append(storage)
        return .storage(storage)
    }

    // MARK: - Stack and bytes

    private func fail(_ message: String) -> Failure { Failure(offset: position, message: message) }

    /// Plain data and containers are depth 0 (containers are cut apart on deinit); a tuple is
    /// one deeper than its deepest item.
    private func push(_ value: PickleValue) { stack.append(Slot(value: value, depth: 0)) }

    private func pushTuple(_ items: [Slot]) throws {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= ReaderLimits.pickleNesting else { throw fail("tuples nested more than \(ReaderLimits.pickleNesting) deep") }
        tupleItems += items.count
        stack.append(Slot(value: .tuple(items.map(\.value)), depth: depth))
    }

    private func newList() -> ListBox {
        let list = ListBox()
        lists.append(list)
        return list
    }

    private func newDict() -> DictBox {
        let dict = DictBox()
        dicts.append(dict)
        return dict
    }

    private func popSlot() throws -> Slot {
        guard let v = stack.popLast() else { throw fail("pickle stack underflow") }
        return v
    }

    private func pop() throws -> PickleValue { try popSlot().value }

    private func peekSlot() throws -> Slot {
        guard let v = stack.last else { throw fail("pickle stack underflow") }
        return v
    }

    private func peek() throws -> PickleValue { try peekSlot().value }

    private func popSlotsToMark() throws -> [Slot] {
        guard let mark = stack.lastIndex(where: { $0.value == .mark }) else { throw fail("MARK missing") }
        let items = Array(stack[(mark + 1)...])
        stack.removeSubrange(mark...)
        return items
    }

    private func popToMark() throws -> [PickleValue] { try popSlotsToMark().map(\.value) }

    private func recallSlot(_ index: Int) throws -> Slot {
        guard let v = memo[index] else { throw fail("memo entry \(index) missing") }
        return v
    }

    private func append(_ values: [PickleValue]) throws {
        switch try peek() {
        case .list(let list):
            list.items += values
            containerEntries += values.count
        case .opaque: break
        default: throw fail("APPEND to a non-list")
        }
    }

    private func setItems(_ values: [PickleValue]) throws {
        guard values.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values") }
        switch try peek() {
        case .dict(let dict):
            let before = dict.entries.count
            for i in stride(from: 0, to: values.count, by: 2) { dict.set(values[i], values[i + 1]) }
            containerEntries += dict.entries.count - before
        case .opaque: break
        default: throw fail("SETITEM on a non-dict")
        }
    }

    private func byte() throws -> UInt8 {
        guard position < bytes.count else { throw fail("pickle ends early") }
        position += 1
        return bytes[position - 1]
    }

    private func take(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= bytes.count - position else { throw fail("pickle ends early (wants \(count) bytes)") }
        position += count
        return Array(bytes[(position - count)..<position])
    }

    private func uint(_ width: Int) throws -> Int {
        let b = try take(width)
        var v: UInt64 = 0
        for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
        guard v <= UInt64(Int.max) else { throw fail("integer too large") }
        return Int(v)
    }

    private func uintBE(_ width: Int) throws -> UInt64 {
        try take(width).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    /// Little-endian two's-complement integer of `count` bytes (LONG1/LONG4); wider than
    /// 64 bits it stays as its bytes (torch's legacy magic number is 80 bits).
    private func long(_ count: Int) throws -> PickleValue {
        let b = try take(count)
        guard count <= 8 else { return .bytes(b) }
        guard !b.isEmpty else { return .int(0) }
        var v: UInt64 = 0
        for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
        if b.last! & 0x80 != 0, count < 8 { v |= ~UInt64(0) << (8 * UInt64(count)) }
        return .int(Int(Int64(bitPattern: v)))
    }

    private func text(_ count: Int) throws -> String {
        String(decoding: try take(count), as: UTF8.self)
    }

    private func line() throws -> String {
        var chars: [UInt8] = []
        while true {
            let c = try byte()
            if c == 0x0A { break }
            chars.append(c)
            guard chars.count < 1000 else { throw fail("GLOBAL name too long") }
        }
        return String(decoding: chars, as: UTF8.self)
    }
}
