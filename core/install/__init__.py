"""Installing StoreChat from a platform: the host a connector's install routes
use, their mounting at ``/connect/<platform>/``, and the page a merchant lands
on afterwards."""

from core.install.host import CoreInstallHost
from core.install.routes import init_app

__all__ = ["CoreInstallHost", "init_app"]
