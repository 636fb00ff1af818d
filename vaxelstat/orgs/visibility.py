"""Who may see what of an organization: the objects a user was granted, or all of them."""

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from vaxelstat.calls.scope import Scope
from vaxelstat.orgs.models import MeasuredObject, Organization, formats_of


def is_admin(user: object) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "is_org_admin", False))


def sees_everything(user: object) -> bool:
    """Admins, and users granted "Visa allt" with every statistics module."""
    return is_admin(user) or (
        bool(getattr(user, "sees_all", False)) and getattr(user, "platforms", None) is None
    )


def visible_objects(user: object, org: Organization) -> QuerySet[MeasuredObject]:
    """The organization's measured objects this user may see: the ones granted, and those of
    the collection points granted (all of them with "Visa allt"), of the statistics modules
    (platforms) the user has; admins see all."""
    objects = MeasuredObject.objects.filter(organization=org)
    if sees_everything(user):
        return objects
    if not getattr(user, "sees_all", False):
        objects = objects.filter(
            Q(id__in=user.visible_objects.all())  # type: ignore[attr-defined]
            | Q(collection_point__in=user.visible_points.all())  # type: ignore[attr-defined]
        ).distinct()
    platforms = getattr(user, "platforms", None)
    if platforms is not None:
        objects = objects.filter(collection_point__format__in=formats_of(platforms))
    return objects


def scope_for(user: object, org: Organization) -> Scope:
    """The call store's view for this user: applied by the store to every query."""
    if sees_everything(user):
        return Scope.whole(org.id)
    return Scope(org.id, frozenset(visible_objects(user, org).values_list("id", flat=True)))


def current_organization(request: HttpRequest) -> Organization:
    """The organization the request works in: the user's own; for an operator the one chosen
    (?org=SLUG, remembered for the session), else the first."""
    user = request.user
    own = getattr(user, "organization", None)
    if own is not None:
        return own
    if getattr(user, "is_superuser", False):
        slug = request.GET.get("org") or request.session.get("operator_org")
        orgs = Organization.objects.all()
        org = (orgs.filter(slug=slug).first() if slug else None) or orgs.first()
        if org:
            request.session["operator_org"] = org.slug
            return org
    raise Http404("No organization")


def admin_organization(request: HttpRequest) -> Organization:
    """The organization an administration page works on: 404 for anyone not its admin."""
    user = request.user
    if not user.is_authenticated or not (
        getattr(user, "is_superuser", False) or getattr(user, "is_org_admin", False)
    ):
        raise Http404
    return current_organization(request)


def operator_required(request: HttpRequest) -> None:
    """Operator pages answer 404 to everyone else, as if they did not exist."""
    if not request.user.is_authenticated or not getattr(request.user, "is_superuser", False):
        raise Http404
