"""The app's command-line commands, run with ``flask --app app <command>``.

The database's commands also run where the chat cannot start (its schema behind with
DATABASE_UPGRADE_ON_START off, or an older release's data still in Redis): with
``flask --app chat.cli <command>``, whose app (``create_app`` below) loads the settings and
opens nothing else.
"""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .identity import ADMIN_ROLE, Tokens, issue_token
from .model import ChatError


@click.command("issue-token")
@click.option("--sub", required=True, help="The person's id, the token's sub claim.")
@click.option("--name", required=True, help="The person's display name.")
@click.option("--admin", is_flag=True, help='Make the person a server administrator (roles: ["admin"]).')
@click.option(
    "--lifetime", type=click.IntRange(1), default=3600, show_default=True, help="Seconds the token is valid for."
)
@with_appcontext
def issue_token_command(sub, name, admin, lifetime):
    """Print an HS256 JWT for a person, signed with the configured JWT secret.

    The demo's way to get an administrator's token, which POST /token never grants: paste it
    on the page ("Sign in with a token") of a server run with CHAT_TOKENS=true.
    """
    tokens = Tokens.from_config(current_app.config)
    if tokens.secret is None:
        raise click.ClickException(
            "this server checks tokens with a public key (CHAT_JWT_PUBLIC_KEY_FILE or "
            "CHAT_JWT_JWKS_FILE): issue them where the private key is"
        )
    try:
        token = issue_token(
            tokens.secret, sub, name, lifetime, tokens.audience, tokens.issuer, [ADMIN_ROLE] if admin else []
        )
    except (ValueError, ChatError) as error:  # a bad sub, or a bad name
        raise click.ClickException(str(error)) from None
    click.echo(token)


@click.command("db-upgrade")
@with_appcontext
def db_upgrade_command() -> None:
    """Upgrade the database of CHAT_DATABASE_URL to the newest schema (Alembic), then say at which revision.

    The app does it on start unless CHAT_DATABASE_UPGRADE_ON_START is false; on PostgreSQL
    an advisory lock makes concurrent upgrades run one at a time.
    """
    from .stores.sql import Database
    from .stores.sql.migrate import current, upgrade

    database = Database(current_app.config["DATABASE_URL"])
    try:
        upgrade(database)
        revision, _ = current(database)
    finally:
        database.close()
    click.echo(f"database at revision {revision}: {database.url.render_as_string(hide_password=True)}")


@click.command("move-from-redis")
@click.option("--keep", is_flag=True, help="Leave the moved keys in Redis (the server then refuses to start).")
@with_appcontext
def move_from_redis_command(keep: bool) -> None:
    """Move an older release's durable data from CHAT_REDIS_URL into CHAT_DATABASE_URL, keeping every id.

    Run it once, with every server process stopped: history, rooms, direct messages, changes,
    read markers, mentions and moderation records go into the SQL database, then their keys
    are deleted from Redis, which keeps live state only.
    """
    from redis import Redis

    from .stores.sql import Database
    from .stores.sql.from_redis import holds_durable_data, move
    from .stores.sql.migrate import upgrade

    config = current_app.config
    if not config["REDIS_URL"]:
        raise click.ClickException("set CHAT_REDIS_URL to the Redis server that holds the data")
    database = Database(config["DATABASE_URL"])
    if not database.shared:
        click.echo("warning: moving into a SQLite file, which only one server process can use", err=True)
    redis = Redis.from_url(config["REDIS_URL"], decode_responses=True)
    try:
        if not holds_durable_data(redis):
            click.echo("Redis holds no messages of an older release: nothing to move")
            return
        upgrade(database)
        counts = move(redis, database, delete=not keep)
    finally:
        redis.close()
        database.close()
    click.echo("moved " + ", ".join(f"{count} {kind}" for kind, count in counts.items()))


DATABASE_COMMANDS = (db_upgrade_command, move_from_redis_command)


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    app.cli.add_command(issue_token_command)
    for command in DATABASE_COMMANDS:
        app.cli.add_command(command)


def create_app() -> Flask:
    """Return an app with the settings and the database's commands only: ``flask --app chat.cli <command>``."""
    from . import settings

    app = Flask("chat", instance_relative_config=True)
    settings.load(app)
    for command in DATABASE_COMMANDS:
        app.cli.add_command(command)
    return app
