// The runtime's public face includes its kernels: generated models call them by name
// (`DepthwiseKernel.run`, `WorkerPool`), importing only ArchcRuntime.
@_exported import ArchcKernels
