"""Simulation results: time histories with names and units, per-member status.

A :class:`Result` holds raw arrays (time, one (N, T) array per channel) plus what produced them
(the parameters, labels such as ``adm = off``, the numerics). Simulating, measuring (metrics)
and plotting stay separate functions that read a Result.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.errors import SimError, UnknownNameError, check_index


class SimulationDiverged(SimError, ArithmeticError):
    """A member's state went non-finite or spun out (in a single run, or with ``strict=True``).

    Attributes: ``member`` (batch index), ``time_s``, ``status`` (text) and ``state`` (a dict
    of state name -> last finite value).
    """

    def __init__(self, member: int, time_s: float, status: str, state: Mapping[str, float]):
        self.member, self.time_s, self.status, self.state = member, time_s, status, dict(state)
        shown = ", ".join(f"{k}={v:.6g}" for k, v in self.state.items())
        super().__init__(f"member {member}: {status} at t = {time_s:.4f} s; last state: {shown}")


@dataclass(frozen=True, eq=False)
class Result:
    """Time histories of a batch of N runs.

    Attributes
    ----------
    time_s : (T,)
        Output times [s].
    channels : mapping of name -> (N, T) array
        States and derived signals; after a member fails its remaining samples are NaN (its
        ``status`` says why; nothing is NaN silently).
    units : mapping of name -> unit string
    status : (N,) array of str
        ``"ok"``, ``"stopped"`` (speed fell below the stop speed: a normal end of a braking run),
        ``"spun out"`` or ``"non-finite state"``.
    end_time_s : (N,)
        When each member ended (the final time when ``ok``).
    end_state : mapping of state name -> (N,) array
        Each member's state at its end (the last finite state for a failed member).
    labels : mapping of str -> str
        What produced the run (vehicle, load case, controller, ...), shown in tables and plots.
    parameters : mapping of str -> (N,) array
        The packed kernel parameters by name, as simulated.
    flags : mapping of name -> (N, T) bool array
        Where each member left a model's validity, per recorded sample: ``tyre_load_<w>``,
        ``tyre_slip_ratio_<w>``, ``tyre_slip_angle_<w>`` (wheel ``w`` in fl, fr, rl, rr:
        outside the ``.tir`` file's FZMIN..FZMAX, KPUMIN..KPUMAX, ALPMIN..ALPMAX; see
        :mod:`sim.validity`). A flagged member still has status ``ok``: it ran, but the
        numbers of the flagged samples come from an extrapolated model. See :attr:`flagged`
        and :meth:`flag_report`.
    flag_notes : mapping of flag name -> str
        What each flag means (range, keys, file).
    step_flags : mapping of flag name -> (N,) bool array
        Every flag of ``flags`` (whatever was recorded, ``record=()`` too), per member: True
        when its channel left the range at the start of any integration step, so an
        excursion between two recorded samples is caught too.
    extremes : mapping of channel name -> (N, 2) array
        The smallest and largest value over every integration step of each channel a flag
        is computed from (NaN for a member that never reached a finite value).
    energy_j : mapping of str -> (N,) array
        Energy by component over each member's run [J] (from its start to its end), exact to
        the integration (:data:`sim.chassis.powertrain.ENERGY_NAMES`, plus ``kinetic_j``, the
        change of kinetic energy): supply terms :attr:`ENERGY_SUPPLY`, sinks
        :attr:`ENERGY_SINKS`, and beside them ``battery_terminal_j`` (net energy drawn at the
        battery terminals), ``regenerated_j`` (energy fed back to them), ``distance_m`` and
        ``battery_infeasible_s`` (time the battery could not deliver the power asked: 0
        unless torques were imposed with ``controller="direct"``). Empty for results that
        do not integrate energy.
    """

    time_s: np.ndarray
    channels: Mapping[str, np.ndarray]
    units: Mapping[str, str]
    status: np.ndarray
    end_time_s: np.ndarray
    end_state: Mapping[str, np.ndarray]
    labels: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, np.ndarray] = field(default_factory=dict)
    flags: Mapping[str, np.ndarray] = field(default_factory=dict)
    flag_notes: Mapping[str, str] = field(default_factory=dict)
    energy_j: Mapping[str, np.ndarray] = field(default_factory=dict)
    step_flags: Mapping[str, np.ndarray] = field(default_factory=dict)
    extremes: Mapping[str, np.ndarray] = field(default_factory=dict)

    #: The energy balance: supply = sum of sinks.
    ENERGY_SUPPLY = ("battery_chemical_j", "wheel_drive_external_j", "fuel_chemical_j")
    ENERGY_SINKS = ("battery_heat_j", "battery_rc_stored_j", "aux_j", "cable_j", "inverter_j",
                    "drive_unit_lumped_j", "machine_copper_j", "machine_iron_j",
                    "machine_friction_j", "gear_j", "engine_j", "clutch_j", "friction_brake_j",
                    "tyre_slip_j", "aero_j", "rolling_j", "road_linear_j", "potential_j",
                    "kinetic_j")

    def energy_balance_error_j(self) -> np.ndarray:
        """(N,) supply minus the sum of sinks [J] of :attr:`energy_j` (0 to the integration's
        accuracy; nothing is lumped into a residual)."""
        supply = sum(self.energy_j[k] for k in self.ENERGY_SUPPLY)
        return supply - sum(self.energy_j[k] for k in self.ENERGY_SINKS)

    def energy_balance_relative(self) -> np.ndarray:
        """(N,) :meth:`energy_balance_error_j` over the energy turned over (half the sum of
        the magnitudes of every term of the balance: the supply in a drive, the kinetic
        energy lost in a stop)."""
        turnover = 0.5 * sum(np.abs(self.energy_j[k])
                             for k in self.ENERGY_SUPPLY + self.ENERGY_SINKS)
        return self.energy_balance_error_j() / np.maximum(turnover, 1e-300)

    def __getitem__(self, name: str) -> np.ndarray:
        """The (N, T) history of channel ``name``; :class:`sim.errors.UnknownNameError` (a
        SpecError and a KeyError) naming the channels that exist otherwise."""
        if not isinstance(name, str) or name not in self.channels:
            raise UnknownNameError("<argument>", "channel", name,
                                   "no such channel; channels are " + ", ".join(self.channels))
        return self.channels[name]

    @property
    def raised(self) -> dict[str, np.ndarray]:
        """Flag name -> (N,) bool: the members that raised it, at any step (``step_flags``)
        or in any recorded sample (``flags``)."""
        out = {}
        for name in dict.fromkeys([*self.step_flags, *self.flags]):
            hit = np.zeros(self.batch_size, dtype=bool)
            if name in self.step_flags:
                hit |= np.asarray(self.step_flags[name], dtype=bool)
            if name in self.flags:
                hit |= np.asarray(self.flags[name]).any(axis=-1)
            out[name] = hit
        return out

    @property
    def flagged(self) -> np.ndarray:
        """(N,) bool: members that left a model's validity (:attr:`raised` any flag)."""
        out = np.zeros(self.batch_size, dtype=bool)
        for hit in self.raised.values():
            out |= hit
        return out

    def flag_report(self, member: int | None = None) -> list[str]:
        """One line per (member, flag) that was raised: what left which range, from when to
        when in the recorded samples (or that no recorded sample shows it), and the range of
        the channel over every step (or, without :attr:`extremes`, its most extreme flagged
        sample), e.g. ``"member 0: FL wheel load (fz_fl_n) outside the
        tyre's FZMIN..FZMAX = 0..10400 N (...): 1.23..3.40 s; over every step
        3120..12100"``. Empty when nothing was flagged."""
        members = range(self.batch_size) if member is None else \
            [check_index(member, self.batch_size, "member")]
        lines = []
        raised = self.raised
        for i in members:
            for name, members_hit in raised.items():
                if not members_hit[i]:
                    continue
                samples = self.flags.get(name)
                hit = np.flatnonzero(np.asarray(samples)[i]) if samples is not None else ()
                text = f"member {i}: {self.flag_notes.get(name, name)}: "
                if len(hit):
                    text += f"{self.time_s[hit[0]]:.2f}..{self.time_s[hit[-1]]:.2f} s"
                else:
                    text += "in no recorded sample" if samples is not None \
                        else "channel not recorded"
                channel = _flag_channel(name)
                span = self.extremes.get(channel)
                if span is not None:
                    text += f"; over every step {span[i, 0]:.4g}..{span[i, 1]:.4g}"
                elif len(hit) and channel in self.channels:
                    seen = self.channels[channel][i, hit]
                    text += f", extreme {seen[np.argmax(np.abs(seen))]:.4g}"
                lines.append(text)
        return lines

    def per_wheel(self, pattern: str) -> np.ndarray:
        """(N, T, 4) stack of the four wheels' channels in the order FL, FR, RL, RR, from a
        name pattern with ``{w}`` for the wheel, e.g. ``res.per_wheel("fz_{w}_n")``."""
        return np.stack([self[pattern.format(w=w)] for w in ("fl", "fr", "rl", "rr")], axis=-1)

    @property
    def batch_size(self) -> int:
        """Number of members N."""
        return len(self.status)

    @property
    def channel_names(self) -> tuple[str, ...]:
        """All channel names, states first."""
        return tuple(self.channels)

    @property
    def ok(self) -> np.ndarray:
        """(N,) bool: members that ran to the end (``ok``) or stopped normally."""
        return np.isin(self.status, ("ok", "stopped"))

    def raise_for_status(self) -> Result:
        """Raise :class:`SimulationDiverged` for the first member that spun out or went
        non-finite; return ``self`` otherwise."""
        for i, s in enumerate(self.status):
            if s not in ("ok", "stopped"):
                state = {k: float(v[i]) for k, v in self.end_state.items()}
                raise SimulationDiverged(i, float(self.end_time_s[i]), str(s), state)
        return self

    def member(self, index: int) -> Result:
        """Member ``index`` as a Result of one (negative counts from the end); a SpecError
        naming the index and the range when there is no such member."""
        i = check_index(index, self.batch_size)
        return self.take(slice(i, i + 1))

    def take(self, rows) -> Result:
        """The members ``rows`` (a slice, or an index or boolean array over the members) as a
        new Result, every per-member array taken alike."""
        def rows_of(mapping):
            return {k: np.asarray(v)[rows] for k, v in mapping.items()}

        return Result(self.time_s, rows_of(self.channels), self.units, self.status[rows],
                      self.end_time_s[rows], rows_of(self.end_state), self.labels,
                      rows_of(self.parameters), flags=rows_of(self.flags),
                      flag_notes=self.flag_notes, energy_j=rows_of(self.energy_j),
                      step_flags=rows_of(self.step_flags), extremes=rows_of(self.extremes))

    def to_pandas(self, member: int | None = None):
        """A pandas DataFrame (needs pandas): one row per (member, time) with a column per
        channel, or only one member's rows. Column names carry their units."""
        import pandas as pd

        members = range(self.batch_size) if member is None else \
            [check_index(member, self.batch_size, "member")]
        frames = []
        for i in members:
            data = {"member": i, "time_s": self.time_s}
            data.update({k: v[i] for k, v in self.channels.items()})
            frames.append(pd.DataFrame(data))
        return pd.concat(frames, ignore_index=True)


def _flag_channel(flag: str) -> str:
    """The channel a tyre flag was computed from (see :mod:`sim.validity`)."""
    from sim.validity import TYRE_CHECKS

    if flag == "steering_beyond_lock":
        return "steering_wheel_angle_rad"
    for kind, *_, pattern, _unit, _what in TYRE_CHECKS:
        prefix = f"tyre_{kind}_"
        if flag.startswith(prefix) and len(flag) == len(prefix) + 2:
            return pattern.format(w=flag[-2:])
    return ""
