"""Emotional cue (VR-CoDES cue and concern), patient utterances: an unpleasant emotion, worry
or emotional burden, said outright ("I'm scared of what this means") or hinted ("it's been
getting to me", "what if it's something serious?"). Denied feelings ("I'm not worried") and
plain symptom reports ("terrible headache") are not cues."""
from __future__ import annotations

import re

from ..base import Context, register
from ..rules import Pattern, RuleRecognizer

NEG = re.compile(r"\b(not|n't|no|never|nothing|without|hardly)\b(\s+\w+){0,3}\s*$")
EMO = (r"(worried|worrying|worry|worries|scared|scary|afraid|frightened|frightening|terrified|terrifying|anxious|"
       r"anxiety|panic|panicking|panicky|nervous|stressed|stressful|stress|upset|upsetting|frustrated|frustrating|"
       r"frustration|depressed|depressing|depression|miserable|hopeless|helpless|overwhelmed|overwhelming|"
       r"embarrassed|embarrassing|ashamed|guilty|lonely|isolated|sad|tearful|crying|cry|angry|annoyed|annoying|"
       r"irritated|fed up|sick of|tired of|concerned|concern|concerns|fear|fears|freaked|freaking|shocked|"
       r"devastated|gutted|distressed|distressing|low|down in the dumps|on edge|can't cope|cannot cope|"
       r"struggling|struggle|hate|dread|dreading|uneasy|unsettled|weighing on me|weighs on me|on my mind)")


@register
class EmotionalCue(RuleRecognizer):
    name = "emotional_cue"
    roles = ("patient",)
    order = 40
    patterns = (
        Pattern(r"\b(i'm|i am|i was|i've been|i have been|i feel|i felt|i get|i got|i'm getting|i'm feeling|i am feeling|makes me|made me|it's making me|been|feeling|felt|really|so|bit|little|very|quite|pretty|getting) (a bit |a little |quite |really |so |very |pretty |kind of |kinda |sort of |a lot more |more |super |extremely |increasingly )?" + EMO + r"\b", 0.85, "feeling"),
        Pattern(r"\b" + EMO + r"\b", 0.6, "emotion word"),
        Pattern(r"\bwhat if (it|this|i|there|that)\b", 0.8, "worry about meaning"),
        Pattern(r"\bshould i be (worried|concerned|scared)\b", 0.9, "worry about meaning"),
        Pattern(r"\b(is|could) (it|this|that) (be )?(something )?(serious|cancer|a tumou?r|dangerous|bad|life[- ]threatening)\b", 0.8, "worry about meaning"),
        Pattern(r"\b(is there|is it|could it be|might it be|it might be|it could be|in case it's) (something|anything) (particularly |really |very |more )?(serious|sinister|bad|wrong|worse)\b", 0.8, "worry about meaning"),
        Pattern(r"\b(cancer|tumou?r|stroke|heart attack|dying|die|death|died|passed away)\b", 0.55, "emotionally significant"),
        Pattern(r"\b(getting to me|getting me down|gets me down|not (been )?(much )?fun|no fun|kill(s|ing) me|driving me (crazy|mad|nuts)|at my wits|last straw|at the end of my|can't (take|handle|deal with) (it|this)|too much for me|hard time|difficult time|tough time|rough time|hard for me|difficult for me|tough for me)\b", 0.85, "burden"),
        Pattern(r"\b(not (been )?(very |that |particularly |at all )?(pleasant|nice|easy)|a lot (has been |is |going )?(weighing|going on|on my (mind|plate))|really bad stories|horror stories)\b", 0.75, "burden"),
        Pattern(r"\b(don't|can't|cannot) (sleep|stop thinking|enjoy|do anything|go out|work)\b", 0.55, "impact on life"),
        Pattern(r"\ball i (feel like doing|want to do|do) is\b", 0.8, "impact on life"),
        Pattern(r"\b(my )?(mood|spirits)\b", 0.55, "mood"),
        Pattern(r"\b(it's|it is|that's|that is|this is) (a bit |quite |really |so |very )?(embarrassing|awkward|hard|difficult|tough|horrible|awful|terrible|a nightmare|scary|worrying|a worry)\b(?!\s+(pain|ache|headache|cough))", 0.6, "burden"),
        Pattern(r"\b(hmm,? )?wow\b", 0.5, "shock"),
    )
    exclude = (
        r"\b(good|positive|healthy) (kind of |sort of )?stress\b",
        r"\bnot (related to|due to|because of|from) stress\b",
        r"\b(don't|didn't|not|never|haven't)( [\w']+){0,6} (hard|difficult|tough|rough) time\b",
        r"n't think (it's|it is|it was|that's) (related to|due to|because of|from|caused by) stress\b",
        r"\b(stress|pressure) (test|fracture|incontinence|echo)\b",
        r"\b(low|lower) (back|blood|sugar|dose|fat|salt|carb|level|grade|fever|temperature)\b",
        r"\b(blood pressure|bp) (is |was |has been |been )?(low|down)\b",
        r"\b(they|he|she|my (wife|husband|mum|mom|dad|doctor|partner)) (was|were|is|are|got|get) (worried|concerned)\b",
        r"\b(i've had|i had|i have|got|get) (a |no )?(heart attack|stroke)s?\b (before|in the past|years ago)",
    )
    threshold = 0.55

    def accept(self, ctx: Context, turn: int, sentence: int, text: str, score: float) -> float:
        # denied feeling: "i'm not worried", "no stress", "don't feel anxious"
        # ... unless another feeling in the sentence is not denied ("I'm not angry, but I get a bit frustrated")
        ms = list(re.finditer(r"\b" + EMO + r"\b", text))
        if ms and all(NEG.search(text[: m.start()]) for m in ms):
            return 0.0
        return score
