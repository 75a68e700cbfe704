"""The X12-over-SFTP face of the simulated 3PL (``crossdock sandbox x12-3pl``)."""

from crossdock.sandbox.x12_3pl.control import ControlServer, create_control_app
from crossdock.sandbox.x12_3pl.server import MALFORMATIONS, X12ThreePlSandbox

__all__ = ["MALFORMATIONS", "ControlServer", "X12ThreePlSandbox", "create_control_app"]
