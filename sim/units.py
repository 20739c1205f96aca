"""Physical constants, unit conversions and index conventions shared by every layer.

Everything inside ``sim`` is SI (m, kg, s, N, N·m, rad, V, A, W, J). Values that cross a
user-facing boundary in another unit carry the unit in their name (``speed_kmh``,
``energy_kwh``, ``steer_deg``) and are converted here, once.

Axes follow ISO 8855: x forward, y left, z up; yaw rate and steer angle are positive to
the left. Per-wheel arrays end in an axis of 4 in the order FL, FR, RL, RR.
"""

from __future__ import annotations

import math

#: Standard acceleration of gravity [m/s²] (CGPM 1901, exact).
GRAVITY_MPS2 = 9.80665
#: Air density at 15 °C and 101.325 kPa (ISA sea level) [kg/m³].
AIR_DENSITY_KGPM3 = 1.225

#: Wheel indices, in the order used by every per-wheel array.
FL, FR, RL, RR = 0, 1, 2, 3
WHEEL_NAMES = ("FL", "FR", "RL", "RR")

KMH_PER_MPS = 3.6
WH_PER_KWH = 1000.0
J_PER_KWH = 3.6e6


def kmh_to_mps(speed_kmh):
    """Convert a speed from km/h to m/s (works on floats and arrays)."""
    return speed_kmh / KMH_PER_MPS


def mps_to_kmh(speed_mps):
    """Convert a speed from m/s to km/h (works on floats and arrays)."""
    return speed_mps * KMH_PER_MPS


def deg_to_rad(angle_deg):
    """Convert an angle from degrees to radians (works on floats and arrays)."""
    return angle_deg * (math.pi / 180.0)


def rad_to_deg(angle_rad):
    """Convert an angle from radians to degrees (works on floats and arrays)."""
    return angle_rad * (180.0 / math.pi)


def per_mps2_to_deg_per_g(value_rad_per_mps2):
    """Convert an understeer gradient from rad/(m/s²) to deg/g (multiply by 180/π · g)."""
    return value_rad_per_mps2 * (180.0 / math.pi) * GRAVITY_MPS2
