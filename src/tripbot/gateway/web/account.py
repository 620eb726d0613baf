"""Web pages: registering, logging in and out, one's profile, Telegram link and API tokens."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from tripbot.events.schemas import (
    Credentials,
    InvitationOut,
    PasswordChange,
    TokenCreate,
    TokenCreated,
    UserOut,
    UserRegister,
    UserRoleChange,
    UserUpdate,
)
from tripbot.gateway import auth, resets, telegram
from tripbot.gateway.i18n import LANGUAGE_COOKIE, select_language
from tripbot.gateway.schemas import NewPassword, PasswordResetAsk, TelegramLinkStart
from tripbot.gateway.web import forms
from tripbot.gateway.web.forms import (
    FORM,
    INVALID,
    FormErrors,
    invalid_input_errors,
    message_for,
)
from tripbot.platform.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    status_for,
)
from tripbot.platform.web import current_settings

bp = Blueprint("account", __name__)
forms.install(bp)


@bp.app_context_processor
def _registration() -> dict[str, object]:
    return {"registration_open": current_settings().registration == "open"}


def _speaking(response: Response, language: str) -> Response:
    """The response, making the person's own language the UI's from now on."""
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
    )
    return response


def _next() -> str:
    return forms.safe_next(request.values.get("next"), url_for("events.index"))


def _preview(code: str | None) -> InvitationOut | None:
    if not code:
        return None
    try:
        return auth.events().preview_invitation(code)
    except NotFound:
        return None


def _register_page(form: Mapping[str, str], errors: FormErrors, code: str | None) -> str:
    return render_template(
        "account/register.html",
        form=form,
        errors=errors,
        code=code,
        invitation=_preview(code),
        by_invitation_only=current_settings().registration == "invitation",
        next=request.values.get("next", ""),
        language_labels=forms.LANGUAGE_LABELS,
    )


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Open an account; with an invitation code, the new account joins its event at once."""
    if auth.current_user() is not None:
        return redirect(_next())
    code = request.values.get("invitation", "").strip() or None
    if request.method == "GET":
        return _register_page({"language": select_language()}, {}, code)
    data: dict[str, object] = {**forms.filled(request.form, "email", "display_name", "language")}
    data["password"] = request.form.get("password", "")
    data["invitation_code"] = code
    result = forms.validate(UserRegister, data)
    if isinstance(result, dict):
        return _register_page(request.form, result, code), INVALID
    try:
        user = auth.events().register(result)
    except (Conflict, InvalidInput) as error:  # a taken email, a weak password
        return _register_page(request.form, invalid_input_errors(error), code), INVALID
    except (PermissionDenied, NotFound, Gone) as error:
        errors = {FORM: message_for(error)}
        return _register_page(request.form, errors, code), int(status_for(error))
    auth.log_in(user)
    flash(_("Welcome to TripBot, %(name)s!", name=user.display_name), "success")
    return redirect(_next())


def _login_page(form: Mapping[str, str], errors: FormErrors) -> str:
    return render_template(
        "account/login.html",
        form=form,
        errors=errors,
        next=request.values.get("next", ""),
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in, then go back where the person was going, in the language of their profile."""
    if auth.current_user() is not None:
        return redirect(_next())
    if request.method == "GET":
        return _login_page({}, {})
    data = {
        "email": request.form.get("email", "").strip(),
        "password": request.form.get("password", ""),
    }
    result = forms.validate(Credentials, data)
    if isinstance(result, dict):
        return _login_page(request.form, result), INVALID
    try:
        user = auth.events().authenticate(result)
    except NotAuthenticated:
        return _login_page(request.form, {FORM: _("Wrong email or password.")}), INVALID
    auth.log_in(user)
    with force_locale(user.language):
        flash(_("Hello, %(name)s.", name=user.display_name), "success")
    return _speaking(redirect(_next()), user.language)


def _forgot_page(form: Mapping[str, str], errors: FormErrors, *, sent: bool = False) -> str:
    return render_template(
        "account/forgot.html",
        form=form,
        errors=errors,
        sent=sent,
        mail_enabled=current_settings().mail_enabled,
    )


@bp.route("/password-reset", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    """Ask for a link to set a new password; the same answer whether or not the email has an
    account."""
    if request.method == "GET" or not current_settings().mail_enabled:
        return _forgot_page({}, {})
    result = forms.validate(PasswordResetAsk, {"email": request.form.get("email", "").strip()})
    if isinstance(result, dict):
        return _forgot_page(request.form, result), INVALID
    resets.ask(str(result.email))
    return _forgot_page({}, {}, sent=True), 202


def _reset_page(token: str, errors: FormErrors) -> str:
    return render_template("account/reset.html", token=token, form={}, errors=errors)


@bp.route("/password-reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Set a new password with the link from the mail; every session of the account ends."""
    if request.method == "GET":
        return _reset_page(token, {})
    result = forms.validate(NewPassword, {"new_password": request.form.get("new_password", "")})
    if isinstance(result, dict):
        return _reset_page(token, result), INVALID
    try:
        resets.finish(token, result.new_password)
    except InvalidInput as error:  # a weak password
        return _reset_page(token, invalid_input_errors(error)), INVALID
    except (NotFound, Gone) as error:
        return _reset_page(token, {FORM: message_for(error)}), int(status_for(error))
    auth.log_out()  # a session of this browser, if any, ended with the others
    flash(_("Your new password is set; log in with it."), "success")
    return redirect(url_for("account.login"))


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """End the web session."""
    auth.log_out()
    flash(_("You have logged out."), "success")
    return _forget_this_browser(redirect(url_for("main.index")))


@bp.post("/logout/everywhere")
@auth.login_required
def logout_everywhere() -> ResponseReturnValue:
    """End every web session of one's account, this one included."""
    auth.log_out_everywhere()
    flash(_("You have logged out on every browser."), "success")
    return _forget_this_browser(redirect(url_for("account.login")))


def _forget_this_browser(response: Response) -> Response:
    # The pages kept for use without signal are the person's own: on a shared phone the next
    # one must not find them. The browser drops its caches, storage and service worker.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _security_page(errors: FormErrors) -> str:
    return render_template("account/security.html", form={}, errors=errors)


@bp.route("/account/password", methods=["GET", "POST"])
@auth.login_required
def change_password() -> ResponseReturnValue:
    """Change one's password, the current one required; the other sessions end."""
    if request.method == "GET":
        return _security_page({})
    data = {
        "current_password": request.form.get("current_password", ""),
        "new_password": request.form.get("new_password", ""),
        "keep_session": auth.session_secret(),
    }
    result = forms.validate(PasswordChange, data)
    if isinstance(result, dict):
        return _security_page(result), INVALID
    try:
        auth.events().change_password(result)
    except InvalidInput as error:  # the current password is wrong, or the new one weak
        return _security_page(invalid_input_errors(error)), INVALID
    flash(_("Your password was changed; your other sessions were logged out."), "success")
    return redirect(url_for("account.change_password"))


def _profile_page(
    form: Mapping[str, str],
    errors: FormErrors,
    user: UserOut,
    link: TelegramLinkStart | None = None,
) -> str:
    """The profile form, and the Telegram card: linked since, or how to link (a new code)."""
    return render_template(
        "account/profile.html",
        form=form,
        errors=errors,
        user=user,
        telegram=auth.events().telegram_status(),
        telegram_link=link,
        bot_username=current_settings().bot_username,
    )


@bp.route("/account", methods=["GET", "POST"])
@auth.login_required
def profile() -> ResponseReturnValue:
    """See and change one's display name and language."""
    user = auth.require_user()
    if request.method == "GET":
        form = {"display_name": user.display_name, "language": user.language}
        return _profile_page(form, {}, user)
    data = {
        "display_name": request.form.get("display_name", "").strip(),
        "language": request.form.get("language", ""),
    }
    result = forms.validate(UserUpdate, data)
    if isinstance(result, dict):
        return _profile_page(request.form, result, user), INVALID
    updated = auth.events().update_me(result)
    with force_locale(updated.language):  # the next pages are in the chosen language
        flash(_("Your profile was saved."), "success")
    return _speaking(redirect(url_for("account.profile")), updated.language)


def _tokens_page(
    errors: FormErrors, form: Mapping[str, str], created: TokenCreated | None = None
) -> str:
    return render_template(
        "account/tokens.html",
        tokens=auth.events().tokens(),
        errors=errors,
        form=form,
        created=created,
    )


@bp.get("/account/tokens")
@auth.login_required
def tokens() -> ResponseReturnValue:
    """One's personal API tokens, and a form to make a new one."""
    return _tokens_page({}, {"name": ""})


@bp.post("/account/tokens")
@auth.login_required
def create_token() -> ResponseReturnValue:
    """Make a personal API token and show its secret, this once (it is not kept in the session);
    the person's password is asked again, as a token outlives the session."""
    data = {
        "name": request.form.get("name", "").strip(),
        "email": auth.require_user().email,
        "password": request.form.get("password", ""),
    }
    data.update(forms.filled(request.form, "expires_in_days"))  # empty: never expires
    result = forms.validate(TokenCreate, data)
    if isinstance(result, dict):
        return _tokens_page(result, request.form), INVALID
    try:
        created = auth.events().create_token(result)
    except NotAuthenticated:
        errors = {"password": _("That is not your current password.")}
        return _tokens_page(errors, request.form), INVALID
    return _tokens_page({}, {"name": ""}, created), 201


@bp.post("/account/tokens/<int:token_id>/revoke")
@auth.login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke a personal API token; programs using it stop working."""
    auth.events().revoke_token(token_id)
    flash(_("The token was revoked."), "success")
    return redirect(url_for("account.tokens"))


INSTANCE_ROLES = {
    "member": _l("Member"),
    "gear_keeper": _l("Gear keeper"),
    "admin": _l("Administrator"),
}


@bp.get("/account/people")
@auth.login_required
def people() -> ResponseReturnValue:
    """Everyone's account and instance role, which administrators change here."""
    return render_template("account/people.html", users=auth.events().users(), roles=INSTANCE_ROLES)


@bp.post("/account/people/<int:user_id>/role")
@auth.login_required
def change_role(user_id: int) -> ResponseReturnValue:
    """Make someone a gear keeper, an administrator or a member (administrators)."""
    role = request.form.get("role", "")
    if role not in INSTANCE_ROLES:
        flash(_("Choose one of the roles."), "error")
        return redirect(url_for("account.people"))
    try:
        changed = auth.events().change_user_role(user_id, UserRoleChange(role=role))
    except (Conflict, NotFound) as error:
        flash(message_for(error), "error")
        return redirect(url_for("account.people"))
    flash(
        _("%(name)s is now: %(role)s.", name=changed.display_name, role=INSTANCE_ROLES[role]),
        "success",
    )
    return redirect(url_for("account.people"))


@bp.post("/account/telegram/link")
@auth.login_required
def link_telegram() -> ResponseReturnValue:
    """Show a new one-time code and the deep link that sends it to the bot (not kept anywhere)."""
    user = auth.require_user()
    form = {"display_name": user.display_name, "language": user.language}
    return _profile_page(form, {}, user, telegram.start_linking()), 201


@bp.post("/account/telegram/unlink")
@auth.login_required
def unlink_telegram() -> ResponseReturnValue:
    """Unlink one's Telegram account: the bot no longer knows who they are."""
    auth.events().unlink_telegram()
    flash(_("Your Telegram account was unlinked."), "success")
    return redirect(url_for("account.profile"))
