import ArchcPyTorch
import ArchcSpec
import XCTest

final class PyTorchEmitterTests: XCTestCase {}
