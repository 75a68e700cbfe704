"""The in-memory tally of refused webhook deliveries: nothing counted is lost, memory stays bounded."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crossdock.flows.refused_deliveries import UNKNOWN_SHOPS, RefusalTally

KNOWN = {"acme.myshopify.com": "acme", "globex.myshopify.com": "globex"}
deliveries = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(sorted(KNOWN)), st.text(min_size=1, max_size=30)),
        st.sampled_from(["invalid signature", "missing signature", "unknown shop"]),
    ),
    max_size=300,
)


@given(deliveries)
def test_every_refusal_is_counted_once_per_subject_and_claimed_domains_stay_bounded(
    refused: list[tuple[str, str]],
) -> None:
    tally = RefusalTally()
    for domain, reason in refused:
        known = domain in KNOWN
        tally.count(claimed_domain=domain, reason=reason, shop_account=KNOWN.get(domain), known=known)
    drained = tally.drain()

    assert sum(sum(r.reasons.values()) for r in drained) == len(refused)
    assert {r.subject for r in drained} <= {*KNOWN, UNKNOWN_SHOPS}
    for refusals in drained:
        assert refusals.account_id == KNOWN.get(refusals.subject)
        assert len(refusals.claimed_domains) <= 20
    assert tally.drain() == []


def test_what_a_failed_flush_drained_is_written_by_the_next() -> None:
    tally = RefusalTally()
    tally.count(
        claimed_domain="acme.myshopify.com", reason="invalid signature", shop_account="acme", known=True
    )
    first = tally.drain()
    tally.count(
        claimed_domain="acme.myshopify.com", reason="invalid signature", shop_account="acme", known=True
    )
    tally.restore(first)
    (again,) = tally.drain()
    assert dict(again.reasons) == {"invalid signature": 2} and again.account_id == "acme"
