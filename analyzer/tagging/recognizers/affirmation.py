"""Affirmation (MITI affirm): recognising the patient's effort, strength, good decision or
intention. Bare acknowledgement tokens ("great", "perfect") are not affirmations."""
from __future__ import annotations

from ..base import register
from ..rules import Pattern, RuleRecognizer

GOOD = r"(good|great|excellent|fantastic|wonderful|brilliant|amazing|awesome|terrific|really good|super|sensible|smart|wise)"
DID = (r"(you('re| are| have| 've|'ve)?|you) (doing|done|did|made|taking|took|started|been|trying|tried|using|"
       r"managed|cut|stopped|quit|kept|keeping|coming|came|called|sought|reached|decided|thought|looked|"
       r"getting|got|working|exercising|walking|eating|checking|monitoring|following|reducing|making|"
       r"recognized|recognised|noticed|reading|asking|bringing|brought|able)")


@register
class Affirmation(RuleRecognizer):
    name = "affirmation"
    patterns = (
        Pattern(r"\b(good|great|nice|excellent|brilliant) (job|work|effort|going|for you|on you|thinking|idea|decision|choice|call|stuff)\b", 0.8, "praise"),
        Pattern(r"\bwell done\b", 0.85, "praise"),
        Pattern(r"\bgood on (you|ya)\b", 0.85, "praise"),
        Pattern(r"\b(i'm|i am|we're|we are) (really |so |very )?(glad|happy|pleased|proud|impressed) (that )?" + DID, 0.85, "recognising what the patient did"),
        Pattern(r"\b(i'm|i am) (really |so |very )?(proud of|impressed (by|with)) you\b", 0.9, "praise"),
        Pattern(r"\b(it's|that's|its|it is|that is) (really |very |so |super |a )?" + GOOD + r"( thing| idea| step| decision| choice| start)? (that )?" + DID, 0.85, "recognising what the patient did"),
        Pattern(r"\b(that's|that is|it's|it is|that was|this is) (a )?(very |really |quite )?(sensible|smart|wise|the right thing|the right decision|the right call|a good idea|a great idea|a good decision|a great decision|a good step|a great step|a big step|an important step)", 0.8, "recognising a good decision"),
        Pattern(r"\byou did (the right thing|well|great|good|a good job|a great job|everything right)\b", 0.9, "recognising a good decision"),
        Pattern(r"\byou('re| are|'ve| have| have been|'ve been) (doing|done) (a |so |really |very )?(great|good|fantastic|excellent|wonderful|amazing|well|brilliant)( job)?\b", 0.85, "praise"),
        Pattern(r"\b(thank you|thanks) (so much |very much )?for (being (so )?(honest|open)|sharing|telling me|your honesty|coming in|being here|letting me know|bringing)", 0.7, "appreciation"),
        Pattern(r"\bi (really )?appreciate (you|that you|your|how you|the)\b", 0.8, "appreciation"),
        Pattern(r"\b(that's|that is|it's) (really |very )?helpful (to know|information)\b", 0.6, "appreciation"),
        Pattern(r"\byou('re| are) (clearly |obviously |really )?(very |so |a )?(committed|determined|motivated|strong|resilient|dedicated|brave|hard[- ]working|resourceful|knowledgeable|on top of)", 0.8, "recognising a strength"),
        Pattern(r"\b(it's|that's) (great|good|wonderful|fantastic|excellent) (to hear |to see )?(that )?you('re| are|'ve| have)? (taking|doing|making|trying|keeping|working|cutting|exercising|on top|getting back|going back|back|sticking|quitting|stopping|eating|walking|picked|chosen)", 0.85, "recognising what the patient did"),
        Pattern(r"\b(i'm|i am|we're|we are) (really |so |very )?(excited|thrilled|delighted) (that |to hear |to see )?(you|that you)\b", 0.8, "recognising what the patient did"),
    )
    exclude = (
        r"\b(glad|happy|pleased) to (see|hear) (you('re| are)? )?(doing|feeling|looking) (so |really |very )?(well|good|better)\b",
        r"\b(your|the) (ecg|blood|test|results|scan|x-?ray|pressure|numbers|sugar|levels?|lungs?|heart)\b.{0,40}\b(good|great|normal|fine)\b",
        r"\bcongratulations\b",
    )
