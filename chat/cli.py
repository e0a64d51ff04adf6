"""The app's command-line commands, run with ``flask --app app <command>``."""

import click
from flask import current_app
from flask.cli import with_appcontext

from .identity import ADMIN_ROLE, Tokens, issue_token
from .model import ChatError


@click.command("issue-token")
@click.option("--sub", required=True, help="The person's id, the token's sub claim.")
@click.option("--name", required=True, help="The person's display name.")
@click.option("--admin", is_flag=True, help="Make the person a server administrator (roles: [\"admin\"]).")
@click.option("--lifetime", type=click.IntRange(1), default=3600, show_default=True,
              help="Seconds the token is valid for.")
@with_appcontext
def issue_token_command(sub, name, admin, lifetime):
    """Print an HS256 JWT for a person, signed with the configured JWT secret.

    The demo's way to get an administrator's token, which POST /token never grants: paste it
    on the page ("Sign in with a token") of a server run with CHAT_TOKENS=true.
    """
    tokens = Tokens.from_config(current_app.config)
    if tokens.secret is None:
        raise click.ClickException("this server checks tokens with a public key (CHAT_JWT_PUBLIC_KEY_FILE or "
                                   "CHAT_JWT_JWKS_FILE): issue them where the private key is")
    try:
        token = issue_token(tokens.secret, sub, name, lifetime, tokens.audience, tokens.issuer,
                            [ADMIN_ROLE] if admin else [])
    except (ValueError, ChatError) as error:  # a bad sub, or a bad name
        raise click.ClickException(str(error)) from None
    click.echo(token)


def init_app(app):
    """Register the commands on ``app``."""
    app.cli.add_command(issue_token_command)
