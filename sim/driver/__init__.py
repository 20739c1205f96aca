"""Driver models. ``sim.driver.open_loop``: open-loop steering and longitudinal-demand profiles;
``sim.driver.closed_loop``: the path follower and speed controller that run inside the compiled
time loop (:class:`Path`, :class:`Driver`)."""

from sim.driver.closed_loop import Driver, Path
from sim.driver.open_loop import (
    Profile,
    bos_time_s,
    constant,
    cos_time_s,
    fmvss126_amplitude_series,
    iso7401_step_steer,
    ramp,
    sine,
    sine_with_dwell,
    slowly_increasing_steer,
    step,
    table,
    time_at_fraction,
)

__all__ = [
    "Driver",
    "Path",
    "Profile",
    "bos_time_s",
    "constant",
    "cos_time_s",
    "fmvss126_amplitude_series",
    "iso7401_step_steer",
    "ramp",
    "sine",
    "sine_with_dwell",
    "slowly_increasing_steer",
    "step",
    "table",
    "time_at_fraction",
]
