"""Empathy (RIAS empathy/legitimation/concern; VR-CoDES explicit acknowledgement): the
clinician names, acknowledges or validates the patient's feeling or burden."""
from __future__ import annotations

from ..base import register
from ..rules import Pattern, RuleRecognizer

FEEL = (r"(hard|difficult|tough|frustrating|scary|frightening|worrying|stressful|upsetting|awful|horrible|"
        r"rough|terrible|overwhelming|exhausting|painful|distressing|unsettling|concerning|challenging|a lot|"
        r"a struggle|anxiety provoking|nerve ?wracking|no fun|not fun|not nice|not easy|unpleasant|annoying|"
        r"a worry|a shock|upsetting)")
EMO = (r"(worried|worry|worries|scared|afraid|anxious|anxiety|stressed|stress|upset|frustrated|frustration|"
       r"concerned|concern|nervous|down|low|sad|overwhelmed|fed up|embarrassed|frightened|terrified|angry|"
       r"struggling)")


@register
class Empathy(RuleRecognizer):
    name = "empathy"
    patterns = (
        Pattern(r"\b(so |very |really |terribly |truly )?sorry (to hear|that you|you('ve| have| are|'re)|about (that|this|your))", 0.9, "sympathy"),
        Pattern(r"^ (oh,? )?(i'm |i am )?(so |very |really )?sorry[.!]? $", 0.7, "sympathy"),
        Pattern(r"\bi can (only )?imagine\b", 0.85, "imagining"),
        Pattern(r"\bi can (see|tell|understand|appreciate|hear) (that |how |why |this |it |you |what )", 0.75, "acknowledging"),
        Pattern(r"\b(must|might|would|could) (be|have been|feel) (really |very |quite |so |pretty |a bit |incredibly )?" + FEEL, 0.85, "naming the burden"),
        Pattern(r"\b(that|this|it)('s| is| sounds| seems| must be)( like)? (really |very |quite |so |pretty |incredibly |a bit )?" + FEEL + r"( for you| to deal with| to process| to hear)?", 0.7, "naming the burden"),
        Pattern(r"\b(sounds|seems) (really |very |quite |so |pretty |kinda |kind of |a bit |a little |super )?" + FEEL, 0.8, "naming the burden"),
        Pattern(r"\b(sounds|seems) like you('re| are|'ve been| have been) (not feeling (great|good|well|yourself)|having a (hard|tough|rough|difficult) time|going through a lot|struggling)\b", 0.8, "naming the burden"),
        Pattern(r"\byou('ve| have)( really)? (had|got) (a lot|so much|quite a lot) (going on|on your plate|to deal with)\b", 0.8, "naming the burden"),
        Pattern(r"\b(a lot|lots) to (process|take in|deal with|handle|go through)", 0.9, "naming the burden"),
        Pattern(r"\b(it's|that's|its|it is|that is) (completely |totally |perfectly |very |quite )?understandable\b", 0.7, "legitimation"),
        Pattern(r"\bunderstandabl[ye]\b", 0.6, "legitimation"),
        Pattern(r"\b(anyone|anybody|everyone|most people) (would|will|might) (be|feel|get) ", 0.8, "legitimation"),
        Pattern(r"\byou feel (how|what) you feel\b", 0.9, "legitimation"),
        Pattern(r"\bi (understand|know|get|hear|see) (that |how |why )?(you('re| are| feel| must| might)|this is|it's|that's|it is|that is) .{0,30}" + EMO, 0.8, "acknowledging a feeling"),
        Pattern(r"\b(you('re| are)|you seem|you've been|you have been|you feel|you're feeling|you are feeling) (really |very |quite |so |a bit |a little |pretty |understandably )?" + EMO + r"\b", 0.75, "naming the feeling"),
        Pattern(r"\b(your|the) (worry|worries|concern|concerns|fear|fears|anxiety|frustration)\b.{0,30}\b(understandable|valid|real|natural|makes sense)", 0.85, "legitimation"),
        Pattern(r"\bthat (makes|make) (total |complete |perfect )?sense\b.{0,20}(worried|feel|concern|upset|scared)", 0.75, "legitimation"),
        Pattern(r"\bi('m| am) (here for you|with you)\b", 0.7, "support"),
        Pattern(r"\b(take your time|no rush)\b", 0.55, "support"),
    )
    exclude = (
        r"\bsorry,? (what|say|could you|can you|i didn't|i missed|i can't hear|to interrupt|for the wait|i'm late|about the wait)",
        r"^ sorry\? $",
        r"\b(i'm|i am) sorry,? (i|we) (don't|can't|didn't|couldn't)",
        r"\bnormal to (feel|be)\b",  # "it's normal to feel that way" closes the topic: dismissal
    )
