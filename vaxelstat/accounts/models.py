from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> models.QuerySet["User"]:
        """Users with their organization: every page asks for it (the session's user is
        loaded by this manager), and a query of its own each request cost more than the join
        (a user table is small)."""
        return super().get_queryset().select_related("organization")

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> "User":
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> "User":
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


# Synliga moduler: the parts of the menu a user may open; (key, label).
MODULES = [
    ("dashboard", _("Min dashboard och Dashboardkatalog")),
    ("reports", _("Basrapporter")),
    ("advanced", _("Avancerade rapporter och Sparade rapporter")),
]


def all_modules() -> list[str]:
    return [key for key, _label in MODULES]


class User(AbstractUser):
    """A person who logs in with an e-mail address.

    A user belongs to one organization; an operator admin (superuser) to none.
    """

    class StartPage(models.TextChoices):
        START = "start", _("Start")
        DASHBOARD = "dashboard", _("Min dashboard")
        REPORTS = "reports", _("Basrapporter")
        ACCOUNT = "account", _("Mitt konto")

    class Language(models.TextChoices):
        SWEDISH = "sv", "Svenska"
        ENGLISH = "en", "English"

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-post", unique=True)
    name = models.CharField("namn", max_length=150, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="users"
    )
    is_org_admin = models.BooleanField("administratör", default=False)
    two_factor = models.BooleanField("kräv tvåfaktorautentisering", default=False)
    start_page = models.CharField(
        "startsida", max_length=16, choices=StartPage.choices, default=StartPage.START
    )
    language = models.CharField(
        "språk", max_length=2, choices=Language.choices, default=Language.SWEDISH
    )
    # The menu's report modules this user may open.
    modules = models.JSONField("menyval", default=all_modules, blank=True)
    # Synliga moduler: the statistics platforms (orgs.models.PLATFORMS) whose collection
    # points' data this user may see at all; None: every one. Admins see every one.
    platforms = models.JSONField("synliga moduler", null=True, blank=True, default=None)
    # What the user may see of the organization's data: all of it, or the objects granted
    # and the objects of the collection points granted. Admins see all.
    sees_all = models.BooleanField("visa allt", default=True)
    visible_objects = models.ManyToManyField(
        "orgs.MeasuredObject", blank=True, related_name="+", verbose_name="synliga mätobjekt"
    )
    visible_points = models.ManyToManyField(
        "orgs.CollectionPoint",
        blank=True,
        related_name="+",
        verbose_name="synliga insamlingspunkter",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment,misc]

    def __str__(self) -> str:
        return self.email

    def may_open(self, module: str | None) -> bool:
        """Whether the menu's module is among this user's (admins open every one)."""
        return module is None or self.is_superuser or self.is_org_admin or module in self.modules


class LoginAttempt(models.Model):
    """One line of the login log (Logs): every attempt, whatever its result."""

    class Result(models.TextChoices):
        SUCCESS = "success", _("Lyckad")
        FAILURE = "failure", _("Fel e-post eller lösenord")
        LOCKED = "locked", _("Spärrad")
        CODE_SENT = "code_sent", _("Kod skickad")
        CODE_FAILURE = "code_failure", _("Fel kod")
        CODE_EXPIRED = "code_expired", _("Koden hade gått ut")
        INACTIVE = "inactive", _("Kontot är inaktiverat")

    class Method(models.TextChoices):
        PASSWORD = "password", _("Lösenord")
        EMAIL_CODE = "email_code", _("Lösenord + kod via e-post")

    at = models.DateTimeField("tidpunkt", auto_now_add=True, db_index=True)
    # As typed (normalized), whether or not an account has it.
    email = models.CharField("e-post", max_length=254, db_index=True)
    address = models.GenericIPAddressField("adress", null=True, blank=True)
    result = models.CharField("resultat", max_length=16, choices=Result.choices)
    method = models.CharField("metod", max_length=16, choices=Method.choices)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    # The organization whose admins see the line (the user's, when the e-mail is known).
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE
    )

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.email} {self.result}"
