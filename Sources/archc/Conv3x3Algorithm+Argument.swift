import ArchcRuntime
import ArgumentParser

/// `--conv3x3 auto|winograd|winograd-2x2|direct`.
extension Conv3x3Algorithm: ExpressibleByArgument {}

/// `--batch-order auto|layer`.
extension BatchOrder: ExpressibleByArgument {}
