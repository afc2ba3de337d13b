// Source locations are part of the IR's vocabulary (every node may carry one); a client of
// the IR sees them without importing the core target itself.
@_exported import ArchcCore
