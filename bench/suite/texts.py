"""Texts the text suite composes: topics, sentiment, spam-like against normal messages, and reviews
of one kind of product judged on reviews of another (a domain shift).

Each text is drawn from phrase banks with a seeded generator: a class gives a few cue sentences, and
every text also holds sentences common to all classes, so no single word decides. Hard cases are
built in where real data has them: sentiment with negation ("not bad at all") and a turn ("the box
looked great, but..."), spam written casually and ordinary messages about prizes and offers, topics
whose texts mention another topic in passing. The generator knows nothing of any model.

The held-out test texts are worded differently from the pool's: every phrase bank is split in two,
the pool drawing from one half and the test from the other, so a model is judged on what the texts
mean, not on the exact phrases it was shown (what a person's next texts will be like).

``make(task, split, per_class, seed)`` -> (texts, labels, class names).
"""

from __future__ import annotations

import random

# ------------------------------------------------------------------ topics

TOPIC_CUES = {
    "sport": ["the striker scored twice in the second half", "the coach praised the defence after the match",
              "she won the final set in a tie-break", "the team climbed to third in the league table",
              "fans filled the stadium for the derby", "the marathon runner set a personal best",
              "the referee showed two red cards", "the relay squad qualified for the final",
              "injuries have weakened the midfield this season", "the goalkeeper saved a late penalty",
              "the cyclist took the yellow jersey on the mountain stage", "the transfer window closes on Friday"],
    "politics": ["the minister announced a review of the tax rules", "parliament voted on the amendment late at night",
                 "the opposition leader called for an inquiry", "polls suggest the coalition is losing support",
                 "the senator introduced a bill on housing", "voters go to the polls in the spring",
                 "the cabinet reshuffle surprised party members", "the mayor promised to cut council spending",
                 "the committee questioned the ambassador", "campaign donations are under scrutiny",
                 "the prime minister met union leaders", "the election result was contested in court"],
    "science": ["researchers measured the enzyme's activity in cells", "the telescope detected a faint galaxy",
                "the experiment was repeated with a larger sample", "the team sequenced the genome of the plant",
                "the probe sent back images of the moon's surface", "the study was published in a peer-reviewed journal",
                "physicists observed the particle decay", "the vaccine trial enrolled volunteers",
                "the fossil suggests feathers evolved earlier", "the lab grew crystals at low temperature",
                "the climate model predicts warmer winters", "a new species of frog was described"],
    "business": ["the company reported higher quarterly profits", "shares fell after the earnings call",
                 "the startup raised money from investors", "the merger needs approval from regulators",
                 "the retailer will close forty stores", "the central bank held interest rates",
                 "sales of electric cars grew by a third", "the firm cut its revenue forecast",
                 "the chief executive stepped down", "the supplier raised prices for the second time",
                 "the airline expects record bookings", "inflation squeezed household budgets"],
    "cooking": ["simmer the sauce until it thickens", "add the garlic once the onions are soft",
                "the dough needs to rest for an hour", "season the soup with salt and pepper",
                "roast the vegetables at a high heat", "whisk the eggs with a little sugar",
                "serve the stew with fresh bread", "the recipe calls for two cups of flour",
                "marinate the chicken overnight", "let the cake cool before slicing it",
                "toast the spices in a dry pan", "the risotto should be creamy but not soupy"],
    "travel": ["the ferry to the island leaves every morning", "we booked a guesthouse near the old town",
               "the hiking trail follows the river to the lake", "the night train was cheaper than flying",
               "the museum is free on the first Sunday", "pack light: the hostel has no lockers",
               "the border crossing took two hours", "the beach was quiet outside the season",
               "we rented bikes to explore the valley", "the flight was delayed by fog",
               "the market sells spices and handmade rugs", "the view from the summit was worth the climb"],
}
TOPIC_PASSING = {  # a mention of another topic, in passing
    "sport": "the club's new sponsor is a bank", "politics": "the minister was at the match",
    "science": "the athletes were tested in a lab", "business": "the stadium deal cost millions",
    "cooking": "the team's chef plans the meals", "travel": "fans travelled by train to the game",
}
NEUTRAL = ["More details are expected later this week.", "Local reports confirmed the news on Tuesday.",
           "It was a busy day for everyone involved.", "Several people shared their views online.",
           "The story has drawn a lot of attention.", "Not everyone agrees with this, of course.",
           "Photos were posted on social media.", "This is the third time this year.",
           "Read on for the full account.", "Many readers wrote in to comment."]

# ------------------------------------------------------------------ reviews (sentiment, domain shift)

PRODUCTS = {
    "electronics": {"things": ["the battery", "the screen", "the charger", "the speaker", "the camera", "the keyboard",
                               "the headphones", "the app", "the remote", "the cable"],
                    "good": ["lasts all day", "is sharp and bright", "works perfectly", "sounds clear",
                             "takes lovely photos", "feels solid", "connected at once", "set up in minutes"],
                    "bad": ["died after a week", "flickers constantly", "stopped working", "crackles at any volume",
                            "takes blurry photos", "feels cheap and flimsy", "keeps disconnecting", "would not pair"]},
    "restaurant": {"things": ["the pasta", "the service", "the waiter", "the dessert", "the steak", "the soup",
                              "the wine list", "the table", "the bread", "the curry"],
                   "good": ["was cooked perfectly", "was warm and friendly", "was full of flavour", "arrived quickly",
                            "was generous", "was fresh and crisp", "was worth every penny", "was spotless"],
                   "bad": ["was cold and bland", "was rude and slow", "was overcooked", "took an hour to arrive",
                           "was tiny for the price", "was stale", "was overpriced", "was sticky and dirty"]},
}
VERDICT = {"positive": ["I would buy it again.", "Highly recommended.", "Five stars from me.", "We will definitely be back.",
                        "Really happy overall.", "Better than I expected.", "Great value.", "I'd recommend it to a friend."],
           "negative": ["I would not buy it again.", "Avoid.", "One star.", "We will not be back.",
                        "Really disappointed overall.", "Worse than I expected.", "A waste of money.",
                        "I'd warn a friend off it."]}
NEGATED = {"positive": ["not bad at all", "no complaints", "nothing to fault"],
           "negative": ["not good at all", "not worth it", "nothing to like"]}
REVIEW_NEUTRAL = ["I ordered it on a Monday.", "We went on a Friday evening.", "My sister recommended it.",
                  "I had read mixed reviews before.", "It was my first time trying it.", "The price was average."]

# ------------------------------------------------------------------ messages (spam-like or normal)

# A message is composed of parts, as real ones are: an opening, what it is about, what it asks.
SPAM = {
    "hook": ["Congratulations, you have been selected", "You are our lucky winner this week", "Final notice",
             "Your account has been flagged", "Exclusive deal for you", "We tried to deliver your parcel",
             "You have an unclaimed refund", "Act now", "This is your last chance", "Important security alert"],
    "offer": ["for a cash reward of 1000 pounds", "for a free gift card", "for a brand new phone",
              "on an unpaid toll charge", "on a loan with approval guaranteed", "with 90% off luxury watches",
              "for a tax rebate", "on a crypto investment that doubles in a week", "for a free cruise",
              "on a work-from-home job paying 500 a day"],
    "ask": ["click the link to claim it", "reply YES to collect", "verify your details now",
            "pay the small fee today", "call this number before midnight", "enter your card number to continue",
            "confirm your password here", "text WIN to 80080", "open the attachment for details",
            "send your bank details to release it"],
}
NORMAL = {
    "hook": ["Hi, just checking", "Quick question", "Thanks again", "Sorry, running late", "Good news",
             "Reminder", "About tomorrow", "Guess what", "Hope you're well", "One more thing"],
    "offer": ["about lunch on Thursday", "about the photos from the trip", "about the school fair raffle",
              "about the sale at the garden centre", "about the meeting moved to three", "about the parcel for mum",
              "about the football tickets", "about the birthday cake", "about the train times", "about the rent"],
    "ask": ["can you call me later", "let me know if that works", "shall we meet at the station",
            "can you bring the charger", "see you at seven", "send me the address when you can",
            "tell your sister I said hi", "no rush to reply", "can you pick up some milk", "are you free on Sunday"],
}
MESSAGE_TAIL = ["", "", " Thanks!", " See you soon.", " :)", " Let me know.", " ASAP!!!", " Reply STOP to opt out."]


def _half(bank: list, split: str) -> list:
    """The half of a phrase bank a split draws from (pool: even places, test: odd)."""
    return bank[0::2] if split == "pool" else bank[1::2]


def _topics(rng: random.Random, label: str, split: str) -> str:
    cues = rng.sample(_half(TOPIC_CUES[label], split), 2)
    parts = [c[0].upper() + c[1:] + "." for c in cues] + rng.sample(NEUTRAL, 2)
    if rng.random() < 0.5:
        other = rng.choice([t for t in TOPIC_PASSING if t != label])
        parts.append(f"Meanwhile, {TOPIC_PASSING[other]}.")
    rng.shuffle(parts)
    return " ".join(parts)


def _review(rng: random.Random, label: str, domain: str, split: str) -> str:
    bank = {k: _half(v, split) for k, v in PRODUCTS[domain].items()}
    other = "negative" if label == "positive" else "positive"
    main, side = ("good", "bad") if label == "positive" else ("bad", "good")
    things = rng.sample(bank["things"], 3)
    parts = [rng.choice(REVIEW_NEUTRAL)]
    # a turn: first a point for the other side, then the ones that decide
    if rng.random() < 0.6:
        parts.append(f"{things[0][0].upper()}{things[0][1:]} {rng.choice(bank[side])}, but")
        parts.append(f"{things[1]} {rng.choice(bank[main])} and {things[2]} {rng.choice(bank[main])}.")
    else:
        parts.append(f"{things[1][0].upper()}{things[1][1:]} {rng.choice(bank[main])}.")
        parts.append(f"Honestly, {rng.choice(NEGATED[label])}.")
    parts.append(rng.choice(_half(VERDICT[label], split)) if rng.random() < 0.7 else
                 f"Some say '{rng.choice(_half(VERDICT[other], split)).rstrip('.')}', but not me.")
    return " ".join(parts)


MESSAGE_HEAD = ["", "", "Hi, ", "Hey Sam, ", "Hello! ", "Quick one: ", "Re: ", "Hi there, "]


def _message(rng: random.Random, label: str, split: str) -> str:
    bank = SPAM if label == "spam" else NORMAL
    hook, offer, ask = (rng.choice(_half(bank[k], split)) for k in ("hook", "offer", "ask"))
    return f"{rng.choice(MESSAGE_HEAD)}{hook} {offer}, {ask}.{rng.choice(MESSAGE_TAIL)}"


TASKS = {
    "topics": (list(TOPIC_CUES), lambda rng, label, split: _topics(rng, label, split)),
    "sentiment": (["negative", "positive"], lambda rng, label, split: _review(rng, label, "electronics", split)),
    "spam": (["normal", "spam"], lambda rng, label, split: _message(rng, label, split)),
    # trained on electronics reviews, tested on restaurant reviews: the same two labels
    "sentiment_shift": (["negative", "positive"], lambda rng, label, split: _review(
        rng, label, "electronics" if split == "pool" else "restaurant", split)),
}


def make(task: str, split: str, per_class: int, seed: int = 0) -> tuple[list[str], list[int], list[str]]:
    """``per_class`` distinct texts of each class of ``task`` for ``split`` ("pool": what a person
    labels, "test": held out). The two splits never share a text."""
    classes, draw = TASKS[task]
    rng = random.Random(f"{task}|{split}|{seed}")
    avoid = set()
    if split == "test":  # never a text the pool holds
        avoid = set(make(task, "pool", per_class_pool(task), seed)[0])
    texts, labels = [], []
    for k, label in enumerate(classes):
        seen: set[str] = set()
        tries = 0
        while len(seen) < per_class and tries < per_class * 50:
            tries += 1
            text = draw(rng, label, split)
            if text not in seen and text not in avoid:
                seen.add(text)
                texts.append(text)
                labels.append(k)
    return texts, labels, classes


def per_class_pool(task: str) -> int:
    return 100
