"""factory_boy factories for the base layer."""

from __future__ import annotations

import datetime as dt

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from secretariat.models import Body, Membership, MemberState, Role, User


def ensure_reference_data() -> None:
    """Reload the member states if a transactional test's flush removed them."""
    if not MemberState.objects.exists():
        import importlib

        from django.apps import apps

        from secretariat.audit_chain import seal_unsealed

        importlib.import_module("secretariat.migrations.0002_member_states").load(apps, None)
        seal_unsealed(MemberState.history.model)


def state(code: str) -> MemberState:
    ensure_reference_data()
    return MemberState.objects.get(code=code)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password("correct horse battery")

    @factory.post_generation
    def verified(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Body
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TF-{n}")
    name = factory.LazyAttribute(lambda o: f"Task force {o.code}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(UserFactory)
    body = factory.SubFactory(BodyFactory)
    role = Role.DELEGATE
    member_state = factory.LazyAttribute(lambda o: o.person.member_state)
    start = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=365))
