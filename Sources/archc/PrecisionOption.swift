import ArchcDriver
import ArchcRuntime
import ArgumentParser

/// `--precision fp32|int8` of `archc run`, and the calibration file int8 needs.
enum PrecisionOption: String, ExpressibleByArgument, CaseIterable {
    case fp32, int8

    func validate(calibration: String?, check: Bool) throws {
        guard self == .int8 else {
            if calibration != nil { throw ValidationError("--calibration is for --precision int8") }
            return
        }
        guard calibration != nil else {
            throw ValidationError("--precision int8 needs --calibration FILE (write one with `archc calibrate SPEC --weights W --images DIR -o FILE`)")
        }
        if check { throw ValidationError("--check compares against float32 references within 1e-4; it cannot be combined with --precision int8") }
    }

    /// The engine's precision: int8 reads and checks the calibration file against the model.
    func resolve(calibration: String?, model: PreparedModel, run: () throws -> CalibrationFile.Run) throws -> Precision {
        guard self == .int8, let calibration else { return .fp32 }
        do {
            return .int8(try CalibrationFile.read(calibration, model: model.network.name, graph: model.optimized, run: try run()))
        } catch {
            throw RunSession.Failure.message("\(error)")
        }
    }
}
