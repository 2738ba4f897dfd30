"""Agenda (eliciting concerns and priorities): the patient's reasons for coming, list of
concerns, priorities and expectations for the visit."""
from __future__ import annotations

from ..base import register
from ..rules import Pattern, RuleRecognizer


@register
class Agenda(RuleRecognizer):
    name = "agenda"
    patterns = (
        Pattern(r"\bwhat (brings|brought|bring) you\b", 0.9, "opening solicitation"),
        Pattern(r"\bhow (can|could|may|might) (i|we) (help|be of help|assist)\b", 0.9, "opening solicitation"),
        Pattern(r"\bwhat can (i|we) (do|help you with)( for you)?\b", 0.85, "opening solicitation"),
        Pattern(r"\bwhat('s| is| has been) (been )?(going on|the problem|bothering you|troubling you|brought you)\b", 0.6, "opening solicitation"),
        Pattern(r"\btell me (a bit |a little )?(about )?(what('s| is) (been )?(going on|happening|the problem|bothering)|why you('re| are) here|what brings)", 0.85, "opening solicitation"),
        Pattern(r"\bwhat would you like to (focus on|talk about|discuss|cover|get out of|work on|start with|achieve)\b", 0.95, "the patient's priorities"),
        Pattern(r"\bwhat (matters|is important|'s important|would be (most )?(important|helpful)) (most )?(to|for) you\b", 0.9, "the patient's priorities"),
        Pattern(r"\bwhat('s| is) (the )?most important (thing )?(to|for) you\b", 0.9, "the patient's priorities"),
        Pattern(r"\b(anything|something|things?) else\b(?!.{0,25}\b(symptoms?|medications?|medicines?|pain|problems? with)\b)", 0.8, "more concerns"),
        Pattern(r"\b(any|other) (other )?(concerns|worries|issues|things (you('d| would) like|you wanted))\b", 0.75, "more concerns"),
        Pattern(r"\b(main|biggest|major|other|particular|specific) (concern|concerns|worry|worries|priority|priorities|issue)\b", 0.7, "the patient's priorities"),
        Pattern(r"\bis (that|this) (all|everything)\b", 0.7, "more concerns"),
        Pattern(r"\b(were|are) you hoping\b", 0.85, "the patient's expectations"),
        Pattern(r"\bhoping (i|we) (could|can|would|might)\b", 0.85, "the patient's expectations"),
        Pattern(r"\b(what are|any) (your )?expectations\b", 0.8, "the patient's expectations"),
        Pattern(r"\bon your mind\b", 0.75, "the patient's concerns"),
        Pattern(r"\bwhat (are|were) you (most )?(worried|concerned) about\b", 0.8, "the patient's concerns"),
        Pattern(r"\bwhat (made|makes) you (decide|want|come|call|book)\b", 0.75, "reasons for coming"),
        Pattern(r"\b(in particular|specifically) (you('d| would) like|you wanted|you were hoping)\b", 0.8, "the patient's priorities"),
    )
    exclude = (
        r"\bany (other )?(symptoms?|pain|problems? with|medical|medications?|allergies|questions)\b",
        r"\bany questions\b",
        r"\b(anything|something) else (that )?(makes|made) (it|the pain|them|that) (better|worse)\b",
    )
