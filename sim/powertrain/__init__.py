"""The powertrain layer: machines, their envelopes and losses, batteries, engines, gearboxes.

One home for every powertrain idea, as compiled scalar kernels with numpy entry points (in the
style of :mod:`sim.tyre.mf61`), called from the compiled time loops (:mod:`sim.integrator`,
:mod:`sim.chassis`, :mod:`sim.adm`) and from numpy at the edge. Below the chassis and the
dynamic module: it imports neither.

* :mod:`sim.powertrain.layout`: machine slots and the codes of what drives which wheel.
* :mod:`sim.powertrain.electric_machine`: the electric machine's torque envelope.
* :mod:`sim.powertrain.envelope`: a machine slot's torque envelope at the wheel.
"""
