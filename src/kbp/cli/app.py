"""The Typer application: every command group, assembled."""

from __future__ import annotations

import typer

from kbp.cli import (
    auth,
    cluster,
    cluster_services,
    config,
    deploy,
    dev,
    fleet,
    image,
    lint,
    local,
    namespaces,
    reap,
    teams,
    users,
)

app = typer.Typer(
    name="kbp",
    help="Kubernetes Best Practices, as software.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
local.register(app)
lint.register(app)
app.add_typer(cluster.app, name="cluster")
app.add_typer(image.app, name="image")
app.add_typer(namespaces.app, name="ns")
reap.register(app)
app.add_typer(users.app, name="user")
app.add_typer(teams.app, name="team")
app.add_typer(auth.app, name="auth")
app.add_typer(cluster_services.app, name="cluster-services")
app.add_typer(config.app, name="config")
app.command("deploy")(deploy.deploy)
app.add_typer(dev.app, name="dev")
app.add_typer(fleet.app, name="fleet")
