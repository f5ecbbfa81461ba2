"""The demo borough, resolved: after a short history is loaded, the planted networks exist as entities owned by
the police analyst, a new report that mentions a planted network's car raises a link alert to that analyst
saying why, and an unrelated report raises none.

The history is short (two months at a modest rate) and loaded inside a transaction rolled back afterwards.
"""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings

from lantern.accounts.models import User
from lantern.core.normalise import normalise_registration
from lantern.intake.schemas import ReferralIn
from lantern.intake.services import referral_create
from lantern.intel.models import AlertKind, Entity, LinkageModel, LinkAlert, VehicleMention

pytestmark = pytest.mark.django_db
ARGS = ("--seed", "3", "--since", "2026-05", "--until", "2026-06-30T16:00", "--per-month", "8")


class RolledBack(Exception):
    """Raised to roll the demo load back once its facts are gathered."""


def report(actor, **parts):
    """A new referral, with its after-commit matching run as it would be in production."""
    from django.db import connection

    with transaction.atomic():
        referral, _secret = referral_create(
            actor=actor,
            channel="web",
            referral=ReferralIn(
                source="professional", summary="Girls seen getting into a car late at night.", **parts
            ),
        )
    for _sid, callback, _robust in list(connection.run_on_commit):
        callback()
    return referral


@pytest.fixture(scope="module")
def facts(django_db_setup, django_db_blocker, tmp_path_factory):
    """Load the demo, then send one report about a planted network's car and one unrelated report."""
    tmp = tmp_path_factory.mktemp("demo")
    found: dict = {}
    with (
        django_db_blocker.unblock(),
        override_settings(
            VAR_DIR=tmp / "var", AUDIT_CHECKPOINT_DIR=tmp / "cp", DEMO_PASSWORD="lamplit-ferry-crossing-77"
        ),
    ):
        try:
            with transaction.atomic():
                out = StringIO()
                call_command("demo", *ARGS, stdout=out, stderr=StringIO())
                found["output"] = out.getvalue()
                truth = json.loads((tmp / "var" / "demo" / "ground_truth.json").read_text())
                analyst = User.objects.get(username="police.analyst")
                worker = User.objects.get(username="csc.practitioner")
                found["model"] = LinkageModel.objects.filter(is_current=True).exists()
                planted = None
                for network in truth["networks"]:
                    for entity in network["entities"]:
                        if entity["kind"] != "vehicle":
                            continue
                        plate = normalise_registration(entity["value"]).normalised
                        mention = VehicleMention.objects.filter(
                            registration_normalised=plate, entity__network__isnull=False
                        ).first()
                        if mention is not None:
                            planted = (entity["value"], mention.entity)
                            break
                    if planted:
                        break
                found["planted"] = planted is not None
                if planted:
                    plate, vehicle = planted
                    found["owner"] = vehicle.owner
                    found["network_size"] = Entity.objects.filter(network=vehicle.network).count()
                    before = LinkAlert.objects.count()
                    referral = report(
                        worker,
                        children=[{"name": "Tegan Wilde", "age": 14}],
                        vehicles=[{"registration": plate.lower().replace(" ", "")}],
                    )
                    found["alerts"] = list(
                        LinkAlert.objects.filter(referral=referral).values("recipient_id", "kind")
                    )
                    found["alert_texts"] = [
                        r["text"] for a in LinkAlert.objects.filter(referral=referral) for r in a.reasons
                    ]
                    found["new_alerts"] = LinkAlert.objects.count() - before
                    found["plate"] = plate
                unrelated = report(
                    worker,
                    children=[{"name": "Orla Quennell", "age": 9}],
                    vehicles=[{"registration": "ZZ99 QQQ"}],
                )
                found["unrelated_alerts"] = LinkAlert.objects.filter(referral=unrelated).count()
                found["analyst"] = analyst
                raise RolledBack
        except RolledBack:
            pass
    return found


def test_the_demo_resolves_the_planted_networks_and_gives_them_to_the_analyst(facts):
    """After the load, a planted network's car is an entity in a network, owned by the police analyst."""
    assert "Linking:" in facts["output"]
    assert facts["planted"], "no planted network vehicle was resolved into a network"
    assert facts["network_size"] >= 2
    assert facts["owner"] == facts["analyst"]


def test_a_report_of_a_planted_networks_car_alerts_the_analyst_with_reasons(facts):
    """The new report's car matches the planted one: one alert, to the owning analyst, naming the car and why."""
    assert len(facts["alerts"]) == 1
    alert = facts["alerts"][0]
    assert alert["recipient_id"] == facts["analyst"].pk and alert["kind"] == AlertKind.JOINED_NETWORK
    plate = facts["plate"].replace(" ", "")
    assert any(
        plate in text.replace(" ", "") and "Same registration mark" in text for text in facts["alert_texts"]
    )


def test_an_unrelated_report_raises_no_alert(facts):
    """A report with nothing in common with the borough's history raises nothing."""
    assert facts["unrelated_alerts"] == 0
