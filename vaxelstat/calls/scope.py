"""What one reader may see of the call store: the store applies it to every query itself, so
no page, export, e-mail or API can forget it."""

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    org_id: int
    # The measured objects whose legs may be read; None: every object of the organization.
    objects: frozenset[int] | None = None

    @classmethod
    def whole(cls, org_id: int) -> "Scope":
        """All of an organization's legs: for its admins, operators and the command line."""
        return cls(org_id)

    def allowed(self, object_ids: Iterable[int]) -> list[int]:
        """Of these objects, the ones this reader may see."""
        ids = list(object_ids)
        if self.objects is None:
            return ids
        return [i for i in ids if i in self.objects]
