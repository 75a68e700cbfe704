"""The simulated 3PL site behind every warehouse sandbox face."""

from crossdock.sandbox.warehouse.simulation import (
    ChangeOutcome,
    SimulatedOrder,
    SimulationError,
    SimulationKnobs,
    WarehouseSimulation,
)

__all__ = ["ChangeOutcome", "SimulatedOrder", "SimulationError", "SimulationKnobs", "WarehouseSimulation"]
