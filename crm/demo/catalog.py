"""Fixed vocabularies for the demo generator: metro areas, streets, and text templates.

Everything here is plain data, so the demo is reproducible without calling Faker per row. The
ZIP codes, area codes and coordinates are real-ish (right city, right neighbourhood); phone
numbers built from them use the 555 exchange and lead emails use the reserved example domains,
so no seeded contact can reach a real person.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class City:
    name: str
    state: str
    lat: float
    lon: float
    zips: tuple[str, ...]
    price_factor: float = 1.0


@dataclass(frozen=True, slots=True)
class Metro:
    key: str
    timezone: str
    area_codes: tuple[str, ...]
    median_price: int
    cities: tuple[City, ...]
    mls_prefix: str


NY, CHI, DEN, PHX, LA = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles"
)

METROS: tuple[Metro, ...] = (
    Metro("boston", NY, ("617", "857", "781"), 820_000, (
        City("Boston", "MA", 42.3601, -71.0589, ("02116", "02118", "02127", "02130"), 1.1),
        City("Cambridge", "MA", 42.3736, -71.1097, ("02138", "02139", "02140"), 1.25),
        City("Somerville", "MA", 42.3876, -71.0995, ("02143", "02144", "02145")),
        City("Newton", "MA", 42.3370, -71.2092, ("02458", "02459", "02460"), 1.45),
        City("Quincy", "MA", 42.2529, -71.0023, ("02169", "02170"), 0.75),
    ), "BOS"),
    Metro("new-york", NY, ("718", "347", "917", "201"), 900_000, (
        City("Brooklyn", "NY", 40.6782, -73.9442, ("11201", "11215", "11217", "11238"), 1.1),
        City("Astoria", "NY", 40.7644, -73.9235, ("11102", "11103", "11105"), 0.85),
        City("Jersey City", "NJ", 40.7178, -74.0431, ("07302", "07306", "07307"), 0.8),
        City("Hoboken", "NJ", 40.7440, -74.0324, ("07030",), 1.0),
    ), "NYC"),
    Metro("philadelphia", NY, ("215", "267", "856"), 350_000, (
        City("Philadelphia", "PA", 39.9526, -75.1652, ("19103", "19106", "19123", "19147")),
        City("Cherry Hill", "NJ", 39.9348, -75.0307, ("08002", "08003"), 1.05),
        City("Ardmore", "PA", 40.0068, -75.2855, ("19003",), 1.6),
    ), "PHL"),
    Metro("washington", NY, ("202", "703", "301"), 650_000, (
        City("Washington", "DC", 38.9072, -77.0369, ("20001", "20002", "20009", "20016")),
        City("Arlington", "VA", 38.8816, -77.0910, ("22201", "22203", "22207"), 1.1),
        City("Bethesda", "MD", 38.9847, -77.0947, ("20814", "20816", "20817"), 1.45),
        City("Alexandria", "VA", 38.8048, -77.0469, ("22301", "22314"), 1.05),
    ), "DCA"),
    Metro("atlanta", NY, ("404", "678", "770"), 420_000, (
        City("Atlanta", "GA", 33.7490, -84.3880, ("30306", "30307", "30308", "30309")),
        City("Decatur", "GA", 33.7748, -84.2963, ("30030", "30032"), 1.1),
        City("Marietta", "GA", 33.9526, -84.5499, ("30060", "30062", "30064"), 0.9),
        City("Sandy Springs", "GA", 33.9304, -84.3733, ("30328", "30350"), 1.3),
    ), "ATL"),
    Metro("miami", NY, ("305", "786", "954"), 580_000, (
        City("Miami", "FL", 25.7617, -80.1918, ("33131", "33133", "33137", "33145")),
        City("Coral Gables", "FL", 25.7215, -80.2684, ("33134", "33146"), 1.8),
        City("Fort Lauderdale", "FL", 26.1224, -80.1373, ("33301", "33304", "33308"), 0.95),
    ), "MIA"),
    Metro("tampa", NY, ("813", "727"), 410_000, (
        City("Tampa", "FL", 27.9506, -82.4572, ("33602", "33606", "33609", "33611")),
        City("St. Petersburg", "FL", 27.7676, -82.6403, ("33701", "33704", "33710")),
        City("Clearwater", "FL", 27.9659, -82.8001, ("33755", "33756", "33767"), 0.9),
    ), "TPA"),
    Metro("orlando", NY, ("407", "321"), 390_000, (
        City("Orlando", "FL", 28.5383, -81.3792, ("32801", "32803", "32806", "32819")),
        City("Winter Park", "FL", 28.6000, -81.3392, ("32789", "32792"), 1.5),
        City("Kissimmee", "FL", 28.2920, -81.4076, ("34741", "34744", "34746"), 0.8),
    ), "ORL"),
    Metro("charlotte", NY, ("704", "980"), 400_000, (
        City("Charlotte", "NC", 35.2271, -80.8431, ("28202", "28203", "28205", "28207")),
        City("Matthews", "NC", 35.1168, -80.7237, ("28104", "28105"), 1.05),
        City("Huntersville", "NC", 35.4107, -80.8429, ("28078",), 1.0),
    ), "CLT"),
    Metro("raleigh", NY, ("919", "984"), 440_000, (
        City("Raleigh", "NC", 35.7796, -78.6382, ("27601", "27603", "27605", "27608")),
        City("Durham", "NC", 35.9940, -78.8986, ("27701", "27705", "27707"), 0.9),
        City("Cary", "NC", 35.7915, -78.7811, ("27511", "27513", "27519"), 1.2),
    ), "RDU"),
    Metro("nashville", CHI, ("615", "629"), 470_000, (
        City("Nashville", "TN", 36.1627, -86.7816, ("37203", "37206", "37209", "37212")),
        City("Franklin", "TN", 35.9251, -86.8689, ("37064", "37067", "37069"), 1.5),
        City("Brentwood", "TN", 36.0331, -86.7828, ("37027",), 1.8),
    ), "NSH"),
    Metro("chicago", CHI, ("312", "773", "847"), 360_000, (
        City("Chicago", "IL", 41.8781, -87.6298, ("60614", "60618", "60622", "60657")),
        City("Evanston", "IL", 42.0451, -87.6877, ("60201", "60202"), 1.35),
        City("Oak Park", "IL", 41.8850, -87.7845, ("60302", "60304"), 1.2),
    ), "CHI"),
    Metro("minneapolis", CHI, ("612", "651", "952"), 350_000, (
        City("Minneapolis", "MN", 44.9778, -93.2650, ("55401", "55405", "55408", "55409")),
        City("St. Paul", "MN", 44.9537, -93.0900, ("55102", "55104", "55105"), 0.95),
        City("Edina", "MN", 44.8897, -93.3499, ("55424", "55435", "55436"), 1.6),
    ), "MSP"),
    Metro("dallas", CHI, ("214", "469", "972"), 420_000, (
        City("Dallas", "TX", 32.7767, -96.7970, ("75201", "75204", "75205", "75206")),
        City("Plano", "TX", 33.0198, -96.6989, ("75023", "75024", "75093"), 1.1),
        City("Frisco", "TX", 33.1507, -96.8236, ("75033", "75034", "75035"), 1.2),
    ), "DFW"),
    Metro("austin", CHI, ("512", "737"), 520_000, (
        City("Austin", "TX", 30.2672, -97.7431, ("78701", "78702", "78704", "78745")),
        City("Round Rock", "TX", 30.5083, -97.6789, ("78664", "78665", "78681"), 0.8),
        City("Cedar Park", "TX", 30.5052, -97.8203, ("78613",), 0.9),
    ), "AUS"),
    Metro("houston", CHI, ("713", "281", "832"), 330_000, (
        City("Houston", "TX", 29.7604, -95.3698, ("77002", "77006", "77007", "77019")),
        City("The Woodlands", "TX", 30.1658, -95.4613, ("77380", "77381", "77382"), 1.4),
        City("Sugar Land", "TX", 29.6197, -95.6349, ("77478", "77479"), 1.25),
    ), "HOU"),
    Metro("denver", DEN, ("303", "720"), 590_000, (
        City("Denver", "CO", 39.7392, -104.9903, ("80202", "80205", "80206", "80210")),
        City("Aurora", "CO", 39.7294, -104.8319, ("80010", "80012", "80016"), 0.8),
        City("Lakewood", "CO", 39.7047, -105.0814, ("80226", "80227", "80228"), 0.95),
    ), "DEN"),
    Metro("phoenix", PHX, ("602", "480", "623"), 440_000, (
        City("Phoenix", "AZ", 33.4484, -112.0740, ("85004", "85016", "85018", "85020")),
        City("Scottsdale", "AZ", 33.4942, -111.9261, ("85251", "85254", "85260"), 1.7),
        City("Tempe", "AZ", 33.4255, -111.9400, ("85281", "85282", "85284"), 1.0),
    ), "PHX"),
    Metro("seattle", LA, ("206", "425"), 850_000, (
        City("Seattle", "WA", 47.6062, -122.3321, ("98102", "98103", "98107", "98115", "98122")),
        City("Bellevue", "WA", 47.6101, -122.2015, ("98004", "98006", "98008"), 1.45),
        City("Kirkland", "WA", 47.6815, -122.2087, ("98033", "98034"), 1.25),
    ), "SEA"),
    Metro("san-diego", LA, ("619", "858"), 900_000, (
        City("San Diego", "CA", 32.7157, -117.1611, ("92101", "92103", "92104", "92107")),
        City("La Jolla", "CA", 32.8328, -117.2713, ("92037",), 2.0),
        City("Chula Vista", "CA", 32.6401, -117.0842, ("91910", "91913", "91914"), 0.85),
    ), "SDG"),
    Metro("boulder", DEN, ("303", "720"), 880_000, (
        City("Boulder", "CO", 40.0150, -105.2705, ("80302", "80303", "80304", "80305"), 1.1),
        City("Louisville", "CO", 39.9778, -105.1319, ("80027",), 0.95),
        City("Longmont", "CO", 40.1672, -105.1019, ("80501", "80503", "80504"), 0.7),
    ), "BLD"),
    Metro("colorado-springs", DEN, ("719",), 450_000, (
        City("Colorado Springs", "CO", 38.8339, -104.8214, ("80903", "80905", "80906", "80920")),
        City("Monument", "CO", 39.0917, -104.8730, ("80132",), 1.3),
    ), "COS"),
)
METRO_BY_KEY = {m.key: m for m in METROS}

# Which metros each demo team works, with relative weights (Harbor & Oak is Boston-based).
TEAM_METROS: dict[str, tuple[tuple[str, float], ...]] = {
    "harbor-oak": (
        ("boston", 14), ("new-york", 8), ("philadelphia", 4), ("washington", 6), ("atlanta", 5),
        ("miami", 5), ("tampa", 4), ("orlando", 3), ("charlotte", 4), ("raleigh", 4), ("nashville", 4),
        ("chicago", 6), ("minneapolis", 3), ("dallas", 5), ("austin", 5), ("houston", 4), ("denver", 3),
        ("phoenix", 4), ("seattle", 5), ("san-diego", 4),
    ),
    "summit-peak": (("denver", 6), ("boulder", 3), ("colorado-springs", 2)),
}

STREET_NAMES = (
    "Maple", "Oak", "Cedar", "Elm", "Pine", "Birch", "Willow", "Chestnut", "Walnut", "Magnolia",
    "Washington", "Lincoln", "Jefferson", "Madison", "Franklin", "Adams", "Jackson", "Monroe",
    "Park", "Lake", "Hill", "River", "Spring", "Meadow", "Forest", "Highland", "Sunset", "Ridge",
    "Harbor", "Bay", "Church", "Mill", "Main", "Market", "Union", "Prospect", "Summit", "Valley",
    "Orchard", "Fairview", "Cherry", "Hawthorne", "Grove", "Laurel", "Juniper", "Aspen", "Sycamore",
    "Dogwood", "Holly", "Poplar", "Beacon", "Commonwealth", "Garden", "Lakeview", "Brookside",
    "Heritage", "Windsor", "Cambridge", "Kingston", "Clifton", "Belmont", "Greenwood", "Ashland",
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Blvd", "Way", "Pl", "Ter", "Cir")
LEAD_EMAIL_DOMAINS = ("example.com", "example.net", "example.org")

LENDERS = (
    "First Federal", "Lakeside Credit Union", "Summit Home Lending", "Bayview Mortgage",
    "Keystone Bank", "Pinecrest Lending", "Liberty Home Loans", "Harborview Savings",
    "Cornerstone Mortgage", "Evergreen Credit Union",
)
FROM_CITIES = (
    "San Francisco", "Los Angeles", "New York", "Chicago", "Seattle", "Denver", "Boston", "Atlanta",
    "Toronto", "London", "Dallas", "Portland", "Minneapolis", "Phoenix", "Pittsburgh", "Cleveland",
)
WANTS = (
    "a big backyard for the dog", "a home office (both work remote)", "a garage and a mudroom",
    "walkability to coffee shops and the train", "a first-floor primary suite", "a pool",
    "an updated kitchen, no projects", "room for an in-law suite", "a quiet street for the kids",
    "a short commute downtown", "good light and high ceilings", "a fenced yard and a basement",
)
TIMELINES = ("0-3 months", "3-6 months", "6-12 months", "12+ months")

BUYER_NOTES = (
    "Pre-approved with {lender} for {price}; wants {beds}bd near good schools in {city}.",
    "First-time buyer. Renting in {city}, lease ends in {months} months. Budget up to {price}.",
    "Relocating from {from_city} for a new job; needs to close within {days} days.",
    "Must have {want}. Flexible on neighborhood within {city}.",
    "Toured 3 homes on Saturday. Liked the one on {street} but worried about the roof's age.",
    "Wants {beds}bd/{baths}ba, budget {price}. Spouse must see any house before an offer.",
    "Asked about HOA fees, property taxes and flood insurance in {city}.",
    "Cash buyer, flexible closing date. Prefers turnkey homes around {price}.",
    "Lost out on two multiple-offer situations; ready to escalate up to {price} next time.",
    "Working with {lender}; rate lock expires in {days} days, needs to move fast.",
    "Growing family, needs {beds} bedrooms and {want}.",
    "Checking school ratings for {city}; kids start in the fall.",
)
SELLER_NOTES = (
    "Wants a CMA before deciding. Thinks the house is worth {price}; comps say closer to {price2}.",
    "Owned since {year}. Kitchen updated {year2}; roof is original. Suggested a pre-listing inspection.",
    "Motivated: already bought in {from_city}, carrying two mortgages.",
    "Prefers to list after the school year ends; wants staging advice.",
    "Downsizing now that the kids moved out; interested in a condo in {city} after the sale.",
    "Inherited the property; siblings agree to sell as-is. Needs a cleanout referral.",
    "Asked for net sheet at {price} list price. Wants to compare with an iBuyer offer.",
    "Listing photos scheduled; needs handyman for touch-ups on {street} first.",
)
INVESTOR_NOTES = (
    "Looking for duplexes or fourplexes under {price} with a cap rate above 6%.",
    "Owns {n} rentals in {city}; 1031 exchange deadline in {days} days.",
    "Wants value-add single-family homes to BRRRR; financing through {lender}.",
    "Interested in short-term rental friendly areas near downtown {city}.",
)
RENTER_NOTES = (
    "Looking for a 2bd rental near downtown {city}, budget ${rent}/mo; might buy next year.",
    "Needs a pet-friendly rental by the 1st; two cats. Budget ${rent}/mo.",
    "Relocating from {from_city}; wants a 12-month lease while they learn the area.",
)
WON_NOTES = (
    "Closed at {price}. Sent closing gift; ask for a review in two weeks.",
    "Closing went smoothly. Referred their neighbor; follow up next month.",
)
LOST_NOTES = (
    "Went with another agent (family friend).",
    "Decided to wait until rates come down. Check back in 6 months.",
    "Stopped responding after three follow-ups.",
    "Bought a new-construction home directly from the builder.",
    "Financing fell through; not ready to try again this year.",
)
NEW_NOTES = (
    "Web inquiry about a listing on {street}. Left a voicemail.",
    "Came through the open house on {street}; signed in with email only.",
    "Asked for a home valuation online; owns in {city}.",
)

CALL_OUTCOMES = (
    "Left voicemail", "No answer", "Discussed budget and timeline", "Talked about neighborhoods",
    "Answered questions about the buying process", "Confirmed showing times", "Reviewed comps together",
)
EMAIL_SUBJECTS = (
    "Homes matching your search in {city}", "Following up on your inquiry", "New listings this week",
    "Your home valuation for {city}", "Next steps with your pre-approval", "Showing recap and thoughts",
    "Market update: {city}", "Quick question about your timeline", "Offer strategy for {street}",
    "Documents for your review",
)
EMAIL_BODIES = (
    "Hi {first},\n\nI pulled a few homes in {city} that fit what you described. Want to see any this weekend?\n\n{agent}",
    "Hi {first},\n\nJust checking in. Has anything changed with your timeline? Happy to help whenever you're ready.\n\n{agent}",
    "Hi {first},\n\nAttached are the comparable sales we talked about. Let me know a good time to go over them.\n\n{agent}",
    "Hi {first},\n\nGreat meeting you today! Here is a recap of next steps and the homes we toured.\n\n{agent}",
)
REPLY_BODIES = (
    "Thanks! Saturday morning works for us.", "Can we see the one on {street} first?",
    "We're still talking to the lender, will get back to you this week.",
    "Sounds good. What do you think it would list for?", "Thank you, this is really helpful.",
    "Can you send the HOA documents?", "We'd like to make an offer.",
)
SMS_OUTBOUND = (
    "Hi {first}, it's {agent_first} with {team}. Still looking in {city}? I have a new listing you might like.",
    "Hi {first}, confirming our showing tomorrow. See you there!",
    "Hi {first}, the sellers on {street} accepted showings this weekend. Want a slot?",
    "Hi {first}, just following up on your home search. Any questions?",
)
SMS_INBOUND = (
    "Yes please, send it over!", "Running 10 min late, sorry!", "Can we do Sunday instead?",
    "Thanks, we'll take a look tonight.", "Not right now, maybe in the spring.",
)

TASK_TITLES_OPEN = (
    "Call {first} {last} to follow up", "Send listings in {city} to {first}",
    "Confirm pre-approval letter with {first}", "Schedule showings for {first} {last}",
    "Send CMA to {first} {last}", "Follow up after open house with {first}",
    "Check in on financing with {first}", "Prepare offer paperwork for {first} {last}",
    "Send listing agreement to {first} {last}", "Text {first} about new price drops",
)
TASK_TITLES_DONE = (
    "Send closing gift to {first} {last}", "Ask {first} for a review", "Intro call with {first} {last}",
    "Email market report to {first}", "Collect disclosures from {first} {last}",
)
TASK_DESCRIPTIONS = (
    None, "Mentioned they prefer texts after 6pm.", "Use the new-buyer email template.",
    "Bring printed comps.", "Loop in the lender if they ask about rates.",
)

PROPERTY_FEATURES = (
    "an updated kitchen with quartz counters", "refinished hardwood floors", "a fenced backyard",
    "a finished basement", "a two-car garage", "new windows and roof (2021)", "an open floor plan",
    "a sunny home office", "a primary suite with a walk-in closet", "a screened porch",
    "a walkable location near shops and parks", "energy-efficient solar panels",
)
PROPERTY_STYLES = {
    "SINGLE_FAMILY": "single-family home", "CONDO": "condo", "TOWNHOUSE": "townhouse",
    "MULTI_FAMILY": "multi-family property", "LAND": "buildable lot", "COMMERCIAL": "commercial space",
}

TAGS: tuple[tuple[str, str], ...] = (
    ("First-time buyer", "#3b82f6"), ("Pre-approved", "#10b981"), ("Luxury", "#a855f7"),
    ("Relocation", "#f59e0b"), ("Investor", "#0ea5e9"), ("Hot", "#ef4444"),
    ("Past client", "#6b7280"), ("Open house", "#ec4899"), ("Cash buyer", "#14b8a6"),
    ("Downsizing", "#84cc16"),
)

# (name, type, status, subject, tag names)
CAMPAIGNS: tuple[tuple[str, str, str, str | None, tuple[str, ...]], ...] = (
    ("Spring Buyer Market Update", "EMAIL", "COMPLETED", "What spring means for buyers in {city}", ("First-time buyer",)),
    ("Just Listed Alerts", "EMAIL", "ACTIVE", "Just listed: homes you'll love", ()),
    ("Monthly Newsletter", "EMAIL", "SCHEDULED", "Your {month} market snapshot", ()),
    ("Open House Weekend", "SMS", "COMPLETED", None, ("Open house",)),
    ("Past Client Anniversary", "EMAIL", "ACTIVE", "Happy home anniversary!", ("Past client",)),
    ("Rate Drop Alert", "SMS", "PAUSED", None, ("Pre-approved",)),
    ("What's My Home Worth?", "SOCIAL", "COMPLETED", None, ()),
    ("Holiday Greetings", "EMAIL", "DRAFT", "Happy holidays from {team}", ("Past client",)),
    ("First-time Buyer Seminar", "SOCIAL", "CANCELLED", None, ("First-time buyer",)),
    ("Investor Deal Flash", "EMAIL", "COMPLETED", "Off-market deals this week", ("Investor",)),
    ("Expired Listing Outreach", "PHONE", "ACTIVE", None, ()),
    ("Luxury Portfolio Preview", "EMAIL", "SCHEDULED", "Private preview: luxury listings", ("Luxury",)),
)

# (name, category, subject, body, variables)
EMAIL_TEMPLATES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("New lead welcome", "nurture", "Great to connect, {{first_name}}!",
     "Hi {{first_name}},\n\nThanks for reaching out to {{team_name}}. I'm {{agent_name}} and I'll help you "
     "with your search. What does your ideal home look like?\n\n{{agent_name}}",
     ("first_name", "team_name", "agent_name")),
    ("Showing follow-up", "showings", "Thoughts on today's showings?",
     "Hi {{first_name}},\n\nThanks for touring homes with me today. Which one stood out?\n\n{{agent_name}}",
     ("first_name", "agent_name")),
    ("Listing presentation recap", "sellers", "Your listing plan for {{address}}",
     "Hi {{first_name}},\n\nAttached is the pricing analysis and marketing plan for {{address}}.\n\n{{agent_name}}",
     ("first_name", "address", "agent_name")),
    ("Just listed", "marketing", "Just listed in {{city}}",
     "Hi {{first_name}},\n\nA new home just hit the market in {{city}} that matches your search.\n\n{{agent_name}}",
     ("first_name", "city", "agent_name")),
    ("Closing congratulations", "past-clients", "Congratulations on your new home!",
     "Hi {{first_name}},\n\nCongratulations! It was a pleasure working with you.\n\n{{agent_name}}",
     ("first_name", "agent_name")),
)
SMS_TEMPLATES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Quick intro", "nurture", "Hi {{first_name}}, it's {{agent_name}} with {{team_name}}. Got your inquiry, when's a good time to chat?",
     ("first_name", "agent_name", "team_name")),
    ("Showing reminder", "showings", "Hi {{first_name}}, reminder: showing at {{address}} tomorrow at {{time}}.",
     ("first_name", "address", "time")),
    ("Price drop", "marketing", "Hi {{first_name}}, {{address}} just dropped its price. Want to take a look?",
     ("first_name", "address")),
    ("Check-in", "nurture", "Hi {{first_name}}, just checking in on your home search. Anything I can help with?",
     ("first_name",)),
)
