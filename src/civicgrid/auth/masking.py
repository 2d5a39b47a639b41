"""脱敏 — personal fields are masked in every output; this module knows which fields and how.

``PERSONAL_FIELDS[resource][field]`` says how to read a personal field in clear (decrypting it
when it is encrypted at rest), how to mask it, and which permission unmasks it. Outputs call
``masked_value`` (or ``person_view``); ``auth.unmask`` is the only path to a clear value, and it
writes the access log. Another domain adds its own fields with ``register_field``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from civicgrid.auth import fields
from civicgrid.auth import roles as P
from civicgrid.kit.masking import mask_address, mask_id_number, mask_name, mask_phone
from civicgrid.models.registry import Person

Reader = Callable[[Any], str | None]
Masker = Callable[[str | None], str | None]


@dataclass(frozen=True)
class PersonalField:
    resource: str
    name: str
    label: str
    read: Reader
    mask: Masker
    permission: str


PERSONAL_FIELDS: dict[str, dict[str, PersonalField]] = {}


def register_field(spec: PersonalField) -> PersonalField:
    PERSONAL_FIELDS.setdefault(spec.resource, {})[spec.name] = spec
    return spec


def field_spec(resource: str, name: str) -> PersonalField | None:
    return PERSONAL_FIELDS.get(resource, {}).get(name)


def _decrypt_attr(attr: str) -> Reader:
    def read(obj: Any) -> str | None:
        return fields.decrypt(getattr(obj, attr))

    return read


def _plain_attr(attr: str) -> Reader:
    def read(obj: Any) -> str | None:
        value = getattr(obj, attr)
        return None if value is None else str(value)

    return read


def masked_value(resource: str, name: str, obj: Any) -> str | None:
    """The masked form of a personal field (decrypting only to mask)."""
    spec = PERSONAL_FIELDS[resource][name]
    return spec.mask(spec.read(obj))


def person_view(person: Person, grid: str | None = None) -> dict[str, Any]:
    """A resident as shown to staff: ID number, phone and exact address masked."""
    return {
        "id": person.id,
        "name": person.name,
        "gender": person.gender,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "id_number": masked_value("person", "id_number", person),
        "phone": masked_value("person", "phone", person),
        "address": masked_value("person", "address", person),
        "node_id": person.node_id,
        "grid": grid,
        "household_id": person.household_id,
        "relation": person.relation,
        "tags": list(person.tags or []),
    }


for _spec in (
    PersonalField(
        "person", "id_number", "身份证号", _decrypt_attr("id_number_enc"), mask_id_number,
        P.REGISTRY_UNMASK,
    ),
    PersonalField(
        "person", "phone", "手机号", _decrypt_attr("phone_enc"), mask_phone, P.REGISTRY_UNMASK
    ),
    PersonalField(
        "person", "address", "详细地址", _plain_attr("address"), mask_address, P.REGISTRY_UNMASK
    ),
    PersonalField(
        "household", "address", "详细地址", _plain_attr("address"), mask_address,
        P.REGISTRY_UNMASK,
    ),
    PersonalField(
        "entity", "phone", "联系电话", _decrypt_attr("phone_enc"), mask_phone, P.REGISTRY_UNMASK
    ),
    PersonalField(
        "workorder", "reporter_phone", "报告人电话", _decrypt_attr("reporter_phone_enc"),
        mask_phone, P.WORKORDER_UNMASK,
    ),
    PersonalField(
        "workorder", "reporter_name", "报告人姓名", _plain_attr("reporter_name"), mask_name,
        P.WORKORDER_UNMASK,
    ),
    PersonalField(
        "workorder", "address", "详细地址", _plain_attr("address"), mask_address,
        P.WORKORDER_UNMASK,
    ),
):  # fmt: skip
    register_field(_spec)
