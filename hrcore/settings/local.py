"""Embedded default used by `make run`: SQLite, LocMem cache, filesystem broker, console e-mail."""

from .base import *
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
