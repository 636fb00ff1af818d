import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from vaxelstat.proxy import TrustedProxies

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vaxelstat.settings")
application = TrustedProxies(get_wsgi_application(), settings.TRUSTED_PROXIES)
