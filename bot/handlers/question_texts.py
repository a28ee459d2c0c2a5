"""The words of help questions: topics, the parent's confirmation, the brugfiguur's card."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import (
    LANGUAGE_NAMES,
    N_,
    _,
    format_duration,
    format_number,
    format_time,
    format_weekday_date,
    local_moment,
    ngettext,
    use_locale,
)
from bot.services.question_stats import WeekFigures
from bot.services.questions import About, Card, Escalated, QuestionView, Rescued, Topic

# Callback data: "ask:<topic>" (parent), "qs:<question>:<action>" (the holder of a question).
# ask:<topic>[:<draft id>]: the draft whose messages the question asks about, when there is
# one; its topic buttons expire once it is opened (or a later question would start empty).
TOPIC_DATA = r"^ask:(" + "|".join(t.value for t in Topic) + r")(?::(\d{1,9}))?$"
CARD_DATA = r"^qs:(\d{1,9}):(take|hand|pick|close|closeok|card|show|to:\d{1,9})$"

TOPIC_LABELS: dict[Topic, tuple[str, str]] = {
    Topic.SCHOOL: ("🏫", N_("School")),
    Topic.CHILDCARE: ("👶", N_("Childcare")),
    Topic.ALLOWANCE: ("💶", N_("School allowance")),
    Topic.LETTER: ("📄", N_("A letter or form I don't understand")),
    Topic.MONEY: ("💡", N_("Money and bills")),
    Topic.WORK: ("💼", N_("Work")),
    Topic.DUTCH: ("🗣", N_("Learning Dutch")),
    Topic.OTHER: ("💬", N_("Something else")),
}


def topic_label(topic: str) -> str:
    try:
        icon, label = TOPIC_LABELS[Topic(topic)]
    except ValueError:
        return topic
    return f"{icon} {_(label)}"


def topic_keyboard(draft_id: int | None = None) -> InlineKeyboardMarkup:
    """The topics; ``draft_id``: the draft of messages already kept, which these ask about."""
    suffix = f":{draft_id}" if draft_id is not None else ""
    buttons = [InlineKeyboardButton(topic_label(t), callback_data=f"ask:{t.value}{suffix}")
               for t in Topic]
    return InlineKeyboardMarkup([[b] for b in buttons])


def topic_question() -> str:
    return _("What is your question about? Tap a button.")


def topic_question_again(kept: int = 1) -> str:
    """After ``kept`` messages kept without a topic: they are safe; and which topic?"""
    said = ngettext("I have kept your message.", "I have kept your {count} messages.",
                    kept).format(count=kept)
    return f"{said} {topic_question()}"


def send_your_question() -> str:
    return _("Send your question now: 🎤 speak it, 📷 a photo of the letter, or ✍️ write it.")


def when_answered(name: str | None, answer_from: datetime | None, now: datetime) -> str:
    """'✅ Ayşe will answer you tomorrow from 09:00.' in the parent's locale; without a name
    (the coordinator holds the question), 'Someone of the Brede School team ...'. The ✅ says
    it arrived to a parent who does not read the sentence."""
    return "✅ " + _when_answered(name, answer_from, now)


def _when_answered(name: str | None, answer_from: datetime | None, now: datetime) -> str:
    if answer_from is None or answer_from <= now:
        if name is None:
            return _("Thank you! Someone of the Brede School team will answer you soon.")
        return _("Thank you! {name} has your question and will answer you soon.").format(
            name=name)
    when = format_time(answer_from)
    # Days in the reader's time zone: the job's clock is UTC, and 00:30 here is 23:30 there.
    days = (local_moment(answer_from).date() - local_moment(now).date()).days
    if name is None:
        if days == 0:
            return _("Thank you! Someone of the Brede School team will answer you today "
                     "from {time}.").format(time=when)
        if days == 1:
            return _("Thank you! Someone of the Brede School team will answer you tomorrow "
                     "from {time}.").format(time=when)
        return _("Thank you! Someone of the Brede School team will answer you on {day} "
                 "from {time}.").format(day=format_weekday_date(answer_from), time=when)
    if days == 0:
        return _("Thank you! {name} will answer you today from {time}.").format(
            name=name, time=when)
    if days == 1:
        return _("Thank you! {name} will answer you tomorrow from {time}.").format(
            name=name, time=when)
    return _("Thank you! {name} will answer you on {day} from {time}.").format(
        name=name, day=format_weekday_date(answer_from), time=when)


def kinds_we_pass_on() -> str:
    return _("Sorry, I cannot pass this on. Send 🎤 a voice message, 📷 a photo or ✍️ text.")


def how_to_answer() -> str:
    return _("To answer a parent, reply to their question: swipe the message to the left.\n"
             "/inbox shows your open questions.")


def card_text(card: Card) -> str:
    """The first message a holder gets about a question, in the holder's language."""
    waiting = max(card.now - card.opened_at, timedelta(0))
    lines = [
        ("⚠️ " + _("Nobody has taken this question yet.") + "\n" if card.escalated else "")
        + "❓ " + _("Question {number}").format(number=card.question_id),
        f"👤 {card.parent_first_name} · {LANGUAGE_NAMES.get(card.locale, card.locale)}",
    ]
    if card.school_name:
        lines.append(f"🏫 {card.school_name}")
    lines.append(topic_label(card.topic))
    lines.extend(about_line(about) for about in card.about)
    # Always: a card held until its holder's green hour is worded when it is queued, so only
    # this line tells that the parent asked last night.
    lines.append("🕐 " + _("Asked: {day}, {time}").format(
        day=format_weekday_date(card.opened_at), time=format_time(card.opened_at)))
    if card.answers:  # handed over after an answer: the parent waits for no first answer
        lines.append("💬 " + ngettext(
            "{count} answer so far. It is below, between the parent's messages.",
            "{count} answers so far. They are below, between the parent's messages.",
            card.answers).format(count=card.answers))
    elif waiting >= timedelta(minutes=1):  # a card held, escalated or handed over; not "0 s"
        lines.append("⏱ " + _("Waiting for {duration}").format(
            duration=format_duration(waiting)))
    lines.append("")
    lines.append(_("To answer, reply to this message or to one of the parent's messages."))
    return "\n".join(lines)


def about_line(about: About) -> str:
    """The activity a parent's message replied to (a reminder of it): copyMessage drops the
    reply, so "may I bring my little one?" would reach the holder without its "to what"."""
    if about.all_day:
        return "📅 " + _("About: {activity}, {day}").format(
            activity=about.title, day=format_weekday_date(about.starts_at))
    return "📅 " + _("About: {activity}, {day}, {time}").format(
        activity=about.title, day=format_weekday_date(about.starts_at),
        time=format_time(about.starts_at))


def render_about(about: About, locale: str) -> str:
    """For the outbox: the line just before the copy of a further message that replied to a
    reminder, in the holder's language."""
    with use_locale(locale):
        return about_line(about)


def follow_up_reminder(question: QuestionView) -> str:
    """To the holder, under a parent's message that waits since an earlier answer."""
    return "💬 " + _("{name} wrote again (question {number}). There is no answer yet.\n"
                     "Reply to their message to answer. Nothing more to do? Tap ✅ Close."
                     ).format(name=question.parent_first_name, number=question.id)


def taken_reminder(question: QuestionView) -> str:
    """To the holder, under the parent's message of a question they took (✋) and have not
    answered: nobody else looks at it any more."""
    return "✋ " + _("You took {name}'s question (question {number}). There is no answer "
                     "yet.\nReply to their message to answer. Can a colleague help? Tap ↪️ "
                     "Hand over.").format(name=question.parent_first_name,
                                          number=question.id)


def card_keyboard(question_id: int, *, taken: bool = False) -> InlineKeyboardMarkup:
    row = [] if taken else [InlineKeyboardButton("✋ " + _("Take it"),
                                                 callback_data=f"qs:{question_id}:take")]
    row.append(InlineKeyboardButton("↪️ " + _("Hand over"),
                                    callback_data=f"qs:{question_id}:hand"))
    return InlineKeyboardMarkup([row, [InlineKeyboardButton(
        "✅ " + _("Close"), callback_data=f"qs:{question_id}:close")]])


def close_unanswered_keyboard(question_id: int, *,
                              answered: bool = False) -> InlineKeyboardMarkup:
    """Are you sure? Nothing was answered yet (``answered``: her newest message was not),
    and the parent hears it is closed."""
    words = _("Close all the same") if answered else _("Close without an answer")
    return InlineKeyboardMarkup([
        [InlineKeyboardButton("✅ " + words, callback_data=f"qs:{question_id}:closeok")],
        [InlineKeyboardButton("↩️ " + _("Back"), callback_data=f"qs:{question_id}:card")]])


def render_card(card: Card) -> tuple[str, dict[str, Any]]:
    """For the outbox: the card's text and buttons in the holder's language."""
    with use_locale(card.reader_locale):
        return card_text(card), card_keyboard(card.question_id).to_dict()


def render_figures(figures: WeekFigures) -> str:
    """The coordinator's line of the week: how many, about what, in which language, and how
    long parents waited for a first answer."""
    if figures.total == 0:
        return "📊 " + _("Last 7 days: no questions.")
    topics = ", ".join(f"{topic_label(t)} {n}" for t, n in
                       sorted(figures.per_topic.items(), key=lambda kv: -kv[1]))
    languages = ", ".join(f"{LANGUAGE_NAMES.get(c, c)} {n}" for c, n in
                          sorted(figures.per_language.items(), key=lambda kv: -kv[1]))
    line = "📊 " + ngettext("Last 7 days: {count} question.", "Last 7 days: {count} questions.",
                            figures.total).format(count=figures.total)
    line += f"\n{topics}\n{languages}"
    if figures.median_first_answer is not None and figures.p90_first_answer is not None:
        line += "\n⏱ " + _("First answer: median {median}, 90% within {p90}.").format(
            median=format_duration(figures.median_first_answer),
            p90=format_duration(figures.p90_first_answer))
    return line


def rescue_notice(item: Rescued) -> str:
    """For the coordinator: the brugfiguur who held a question can no longer be reached."""
    q = item.question
    return "⚠️ " + _("{holder} no longer gets messages from the bot. Question {number} "
                     "({name}, {language}) is with you now: please answer it or hand it "
                     "over.").format(holder=item.holder_first_name, number=q.id,
                                     name=q.parent_first_name,
                                     language=LANGUAGE_NAMES.get(q.locale, q.locale))


def leave_notice(item: Rescued) -> str:
    """For the coordinator: the brugfiguur who held a question is on leave (their whole week
    red), and the parent waits for an answer."""
    q = item.question
    return "⚠️ " + _("{holder} is not available: their whole week is red. Question {number} "
                     "({name}, {language}) waits for an answer and is with you now: please "
                     "answer it or hand it over.").format(
        holder=item.holder_first_name, number=q.id, name=q.parent_first_name,
        language=LANGUAGE_NAMES.get(q.locale, q.locale))


def escalation_notice(item: Escalated, hours: float) -> str:
    """For the coordinator: a question waited too long and went to someone else."""
    q = item.question
    values = {"number": q.id, "name": q.parent_first_name, "hours": format_number(hours),
              "language": LANGUAGE_NAMES.get(q.locale, q.locale)}
    if item.new_holder_first_name is None:
        return "⚠️ " + _("Question {number} ({name}, {language}) waited {hours} working hours "
                         "without an answer. Nobody else can take it: please answer it "
                         "yourself or hand it over.").format(**values)
    return "⚠️ " + _("Question {number} ({name}, {language}) waited {hours} working hours "
                     "without an answer. It is now with {holder}.").format(
        holder=item.new_holder_first_name, **values)
