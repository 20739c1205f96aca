"""The powertrain layer: machines, their envelopes and losses, batteries, engines, gearboxes.

One home for every powertrain idea, as compiled scalar kernels with numpy entry points (in the
style of :mod:`sim.tyre.mf61`), called from the compiled time loops (:mod:`sim.integrator`,
:mod:`sim.chassis`, :mod:`sim.adm`, :mod:`sim.energy.longitudinal`) and from numpy at the
edge. Below the chassis and the dynamic module: it imports neither.

* :mod:`~sim.powertrain.layout`: machine slots and the codes of what drives which wheel.
* :mod:`~sim.powertrain.electric_machine`: the electric machine's envelope and a drive unit's
  losses (copper, iron, friction; inverter; DC cable), or its efficiency map / power-fraction
  table; :mod:`~sim.powertrain.inverter`: SPWM conduction and switching losses;
  :mod:`~sim.powertrain.gear`: mesh efficiency; :mod:`~sim.powertrain.cable`: DC cables.
* :mod:`~sim.powertrain.envelope`: a machine slot's torque envelope at the wheel.
* :mod:`~sim.powertrain.battery`: cells (Thevenin), packs on one bus, available power;
  :mod:`~sim.powertrain.charging`: DC fast charging (CC, CV, charger limits).
* :mod:`~sim.powertrain.engine`, :mod:`~sim.powertrain.gearbox`,
  :mod:`~sim.powertrain.combustion`: the combustion engine, its fuel map, the dual-clutch
  gearbox and its shift strategy.
* :mod:`~sim.powertrain.road_load`: coast-down coefficients A, B, C.
"""
