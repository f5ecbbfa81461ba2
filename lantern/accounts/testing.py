"""Factories and helpers shared by every app's tests."""

import factory
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from lantern.accounts.models import Agency, AgencyKind, Role, Team, User

TEST_PASSWORD = "correct-horse-battery-staple-42"


class AgencyFactory(factory.django.DjangoModelFactory):
    """An agency of the fictional borough."""

    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    kind = AgencyKind.POLICE
    code = factory.LazyAttribute(lambda o: f"riverton-{o.kind}".replace("_", "-"))
    name = factory.LazyAttribute(lambda o: f"Riverton {AgencyKind(o.kind).label}")


class TeamFactory(factory.django.DjangoModelFactory):
    """A team in an agency."""

    class Meta:
        model = Team
        django_get_or_create = ("agency", "name")

    agency = factory.SubFactory(AgencyFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a known password; `agency__kind=...` picks the agency."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@riverton.example")
    agency = factory.SubFactory(AgencyFactory)
    team = factory.LazyAttribute(lambda o: TeamFactory(agency=o.agency, name=f"{o.agency.name} team"))
    role = Role.PRACTITIONER
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


def add_totp_device(user, *, confirmed: bool = True) -> TOTPDevice:
    """Give a user a TOTP device; returns it (use `totp_now(device)` for a code)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=confirmed)


def totp_now(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The device's current code (or one `offset_steps` steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"
