"""Dismissal (premature reassurance, minimising): telling the patient not to worry, or not
to feel what they feel, before the concern is assessed, or normalising it to close the topic.
Reassurance grounded in a completed assessment is information, not dismissal: a cue counts
only early in the visit or right after a patient's emotional cue, and not when the turn gives
reasons (findings, results, "because")."""
from __future__ import annotations

from ..base import Context, register
from ..rules import Pattern, RuleRecognizer, normalise


@register
class Dismissal(RuleRecognizer):
    name = "dismissal"
    order = 60  # after emotional_cue (reads it)
    patterns = (
        Pattern(r"\b(don't|do not|dont|try not to|no need to|shouldn't|you needn't) (you )?(worry|be worried|be scared|be afraid|panic|stress|be silly)\b", 0.8, "reassurance"),
        Pattern(r"\b(so )?no worr(y|ies)\b", 0.6, "reassurance"),
        Pattern(r"\bnothing (at all )?to (worry|be worried|be scared|be afraid) about\b", 0.7, "reassurance"),
        Pattern(r"\b(it's|it is|that's|that is) (totally |completely |perfectly |quite |very )?(normal|natural|common) to (feel|be|get|worry)\b", 0.8, "normalising the feeling"),
        Pattern(r"\b(i'm|i am) sure (it's|it is|it'll|it will|you'll|you will|that's) (nothing|fine|okay|ok|be fine|be okay|be alright|all right)\b", 0.85, "premature reassurance"),
        Pattern(r"\b(it's|it is|that's) (probably |likely )?(nothing|nothing serious|nothing to worry)\b", 0.75, "premature reassurance"),
        Pattern(r"\byou('ll| will) be (fine|okay|ok|alright|all right)\b", 0.7, "premature reassurance"),
        Pattern(r"\b(it's|that's|it is) (not|no) (a )?big deal\b", 0.85, "minimising"),
        Pattern(r"\b(calm down|relax|cheer up)\b", 0.8, "minimising"),
        Pattern(r"\bi (wouldn't|would not) (worry|be worried)\b", 0.75, "contradicting"),
        Pattern(r"\b(everyone|everybody|we all) (feels|gets|goes through|has) (that|this|like that)\b", 0.75, "minimising"),
    )
    exclude = (
        r"\bdon't worry (if|about (it|that) if) (you|we) (can't|cannot|don't)\b",
        r"\bdon't worry,? (i|we)('ll| will) (come back|get|go|do)\b",
    )
    REASONS = (r"\b(because|since|results?|examination|examined|exam|test|tests|scan|x-?ray|blood|findings|"
               r"looks? (fine|normal|good|healthy)|sounds? (fine|normal|clear)|reassur|normal|clear|negative)\b")

    FEELING_NAMED = (r"\byou('re| are| feel| seem| sound| must be| might be)( \w+)? (stressed|worried|scared|anxious|"
                     r"afraid|upset|nervous|frightened|concerned|panicking|panicked)\b")

    def accept(self, ctx: Context, turn: int, sentence: int, text: str, score: float) -> float:
        import re

        whole = normalise(ctx.features.texts[turn])
        if re.search(self.REASONS, whole):
            return 0.0  # reassurance with reasons: information (guide)
        n = len(ctx.roles)
        cue_before = any(t.label == "emotional_cue" and turn - 3 <= t.turn < turn for t in ctx.tags)
        # "I know you're stressed, but don't worry": the clinician names the feeling, then waves it off
        cue_before = cue_before or bool(re.search(self.FEELING_NAMED, whole))
        early = turn < 0.35 * n
        if not (cue_before or early):
            return 0.0
        return min(1.0, score + (0.1 if cue_before else 0.0))
