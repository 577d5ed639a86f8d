"""The strictness switches: strict by default, changed by name, restored by a reset."""

from __future__ import annotations

import pytest

from calsync_sandbox import SandboxControl, SandboxControlError


def test_switches_default_to_the_strict_reading(ctl: SandboxControl) -> None:
    switches = ctl.strictness_switches()
    assert switches["notify_all_guests_on_attendee_change"] is True
    assert switches["revoke_kills_all_grants"] is True
    assert switches["transfer_keeps_private_properties"] is False
    assert switches["meet_request_id_reuse_ignored"] is True
    assert switches["abuse_limit_writes"] == 1000


def test_setting_a_switch_returns_the_full_set(ctl: SandboxControl) -> None:
    switches = ctl.strictness(revoke_kills_all_grants=False, abuse_limit_writes=5)
    assert switches["revoke_kills_all_grants"] is False
    assert switches["abuse_limit_writes"] == 5
    assert switches == ctl.strictness_switches()


def test_an_unknown_switch_is_refused_and_nothing_changes(ctl: SandboxControl) -> None:
    with pytest.raises(SandboxControlError) as caught:
        ctl.strictness(revoke_kills_all_grants=False, no_such_switch=True)
    assert caught.value.status == 400
    assert ctl.strictness_switches()["revoke_kills_all_grants"] is True


def test_a_value_of_the_wrong_kind_is_refused(ctl: SandboxControl) -> None:
    with pytest.raises(SandboxControlError) as caught:
        ctl.strictness(revoke_kills_all_grants="no")
    assert caught.value.status == 400


def test_reset_restores_the_strict_defaults(ctl: SandboxControl) -> None:
    ctl.strictness(revoke_kills_all_grants=False)
    ctl.reset()
    assert ctl.strictness_switches()["revoke_kills_all_grants"] is True
