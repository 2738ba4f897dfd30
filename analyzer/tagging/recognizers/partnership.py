"""Partnership (MITI seeking collaboration, RIAS partnership, ICE ideas): asking the patient's
view or preference, offering options, sharing the decision."""
from __future__ import annotations

from ..base import register
from ..rules import Pattern, RuleRecognizer


@register
class Partnership(RuleRecognizer):
    name = "partnership"
    patterns = (
        Pattern(r"\bwhat (do|did|would) you think\b(?! (is|was) (the |your )?(pain|cause))", 0.75, "asking the patient's view"),
        Pattern(r"\b(your|any) (thoughts|ideas|views|opinion|preference|preferences)\b(?! (of|about) (the )?(pain|symptoms?))", 0.8, "asking the patient's view"),
        Pattern(r"\bhow (does|do|would) (that|this|it|those|these) (sound|seem|feel)\b", 0.85, "checking the plan with the patient"),
        Pattern(r"\bhow (do|would) you feel about\b", 0.85, "asking the patient's view"),
        Pattern(r"\bwhat would (work|be best|suit|help) (best )?(for )?you\b", 0.9, "asking the patient's preference"),
        Pattern(r"\bwhat would you (prefer|like to do|rather|want to do|like to try)\b", 0.85, "asking the patient's preference"),
        Pattern(r"\b(would|do) you (prefer|rather)\b", 0.85, "asking the patient's preference"),
        Pattern(r"\b(are|would) you (be )?(interested|open|willing|keen|happy|comfortable) (to|in|with|for)\b", 0.75, "asking the patient's preference"),
        Pattern(r"\bwould you (like|want) (to|me to) (try|start|go|give|consider|think|discuss|talk)", 0.7, "offering a choice"),
        Pattern(r"\b(a |two |few |couple of |several |different |some |other |treatment |your )(options|choices|alternatives)\b", 0.85, "offering options"),
        Pattern(r"\b(one|another|an|the other|the first|the second) option (is|would be|we have)\b", 0.8, "offering options"),
        Pattern(r"\b(a|the) choice (of|between)\b", 0.8, "offering options"),
        Pattern(r"\b(whichever|whatever) (you (prefer|want|choose|decide|feel)|is (easier|best) for you)\b", 0.85, "leaving the choice to the patient"),
        Pattern(r"\b(it's|that's|its|it is) (really |entirely |totally |completely )?(up to you|your (choice|decision|call))\b", 0.9, "leaving the choice to the patient"),
        Pattern(r"\bunless you (feel|think|want|would like|prefer)\b", 0.8, "leaving the choice to the patient"),
        Pattern(r"\b(we|we'll|we will|we can|we could|let's) (work (on (this|that|it) )?together|decide together|figure (it|this|that) out together|make (a|the) (plan|decision) together)", 0.9, "a joint plan"),
        Pattern(r"\btogether\b.{0,30}\b(plan|decide|decision|work|figure|come up)\b", 0.75, "a joint plan"),
        Pattern(r"\b(have|had) you (thought|considered) (about|of) (a |your )?(quit date|how|what|whether|trying|any)", 0.7, "asking the patient's ideas"),
        Pattern(r"\bdo you have any (ideas|thoughts|preference)\b", 0.85, "asking the patient's ideas"),
        Pattern(r"\bwhat are your (thoughts|feelings|views|goals|expectations) (on|about)\b", 0.85, "asking the patient's view"),
        Pattern(r"\b(is|does) (that|this) (sound )?(okay|ok|alright|all right|good|reasonable|acceptable|fair) (with|to|for) you\b", 0.7, "checking the plan with the patient"),
        Pattern(r"\b(are|would) you (okay|ok|alright|all right|happy|comfortable) with (that|this|the plan|trying|starting|going)\b", 0.75, "checking the plan with the patient"),
    )
    exclude = (
        r"\bif (that's|that is|it's) (ok|okay|alright|all right)\b.{0,20}$",
        r"\b(any|do you have any) questions\b",
    )
