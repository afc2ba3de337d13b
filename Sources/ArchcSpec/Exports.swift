// Source locations are part of the spec layer's vocabulary (every diagnostic carries one);
// a client of the spec layer sees them without importing the core target itself.
@_exported import ArchcCore
