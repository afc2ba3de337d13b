import ArchcIR
import ArgumentParser

/// `--init pytorch|stress`.
extension WeightInit.Style: ExpressibleByArgument {}
