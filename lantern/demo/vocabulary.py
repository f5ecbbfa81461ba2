"""The words the synthetic borough is made of: names, streets, businesses, vehicles and the census categories.

Lists of common given names and family names, mixed at random, so that any resemblance of a generated person
to a real one is coincidence; no list names anyone connected with a real case. Kept in the package so
production needs no Faker.
"""

# Ethnicity: the ONS 2021 census categories for England and Wales, as recorded ("Group: category"), with
# weights close to the 2021 census shares of usual residents. "Not stated" is how records say it was never
# asked or given.
NOT_STATED = "Not stated"
ETHNICITY_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("Asian, Asian British or Asian Welsh: Bangladeshi", 1.1),
    ("Asian, Asian British or Asian Welsh: Chinese", 0.7),
    ("Asian, Asian British or Asian Welsh: Indian", 3.1),
    ("Asian, Asian British or Asian Welsh: Pakistani", 2.7),
    ("Asian, Asian British or Asian Welsh: Other Asian", 1.6),
    ("Black, Black British, Black Welsh, Caribbean or African: African", 2.5),
    ("Black, Black British, Black Welsh, Caribbean or African: Caribbean", 1.0),
    ("Black, Black British, Black Welsh, Caribbean or African: Other Black", 0.5),
    ("Mixed or Multiple ethnic groups: White and Asian", 0.8),
    ("Mixed or Multiple ethnic groups: White and Black African", 0.4),
    ("Mixed or Multiple ethnic groups: White and Black Caribbean", 0.9),
    ("Mixed or Multiple ethnic groups: Other Mixed or Multiple ethnic groups", 0.8),
    ("White: English, Welsh, Scottish, Northern Irish or British", 74.4),
    ("White: Irish", 0.9),
    ("White: Gypsy or Irish Traveller", 0.1),
    ("White: Roma", 0.2),
    ("White: Other White", 6.2),
    ("Other ethnic group: Arab", 0.6),
    ("Other ethnic group: Any other ethnic group", 1.6),
    (NOT_STATED, 6.4),
)
ETHNICITIES = tuple(label for label, _ in ETHNICITY_WEIGHTS)

SEX_WEIGHTS: tuple[tuple[str, float], ...] = (("Female", 49.5), ("Male", 49.5), ("Not known", 1.0))

# Name pools by the heritage of a name. Which pool a person's names come from leans on their recorded
# ethnicity (with mixing), so the data has the variety of names, spellings and transliterations that matching
# must handle.
GIVEN_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "anglo": {
        "Female": (
            "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Grace", "Freya", "Ella", "Sophie",
            "Chloe", "Jessica", "Megan", "Holly", "Leah", "Courtney", "Kayleigh", "Siobhán", "Niamh", "Zoë",
            "Bethany", "Paige", "Jade", "Ellie-Mae", "Charlotte", "Emily", "Katie", "Rebecca", "Shannon",
            "Emma", "Poppy", "Isabella", "Evie", "Sophia", "Ruby", "Daisy", "Florence", "Matilda", "Phoebe",
            "Sienna", "Harper", "Willow", "Rosie", "Evelyn", "Elsie", "Scarlett", "Imogen", "Lucy", "Erin",
            "Hannah", "Lauren", "Abigail", "Maisie", "Lola", "Summer", "Harriet", "Georgia", "Amber", "Molly",
            "Alice", "Eleanor", "Amy", "Laura", "Sarah", "Rachel", "Gemma", "Natalie", "Danielle", "Samantha",
            "Nicola", "Kelly", "Claire", "Louise", "Stacey", "Leanne", "Hayley", "Kirsty", "Donna", "Tracey",
            "Lisa", "Michelle", "Joanne", "Karen", "Julie", "Susan", "Helen", "Deborah", "Alison", "Angela",
            "Caroline", "Jennifer", "Victoria", "Elizabeth", "Margaret", "Catherine", "Anna", "Demi", "Keira",
            "Caitlin",
        ),
        "Male": (
            "Oliver", "Jack", "Harry", "George", "Noah", "Charlie", "Jacob", "Thomas", "Oscar", "William",
            "James", "Leo", "Alfie", "Joshua", "Callum", "Liam", "Connor", "Ryan", "Kieran", "Jordan",
            "Reece", "Tyler", "Declan", "Seán", "Daniel", "Lewis", "Michael", "Joseph", "Samuel", "Nathan",
            "Henry", "Archie", "Freddie", "Arthur", "Theo", "Jude", "Max", "Ethan", "Isaac", "Edward",
            "Finley", "Logan", "Teddy", "Harrison", "Lucas", "Mason", "Dylan", "Riley", "Alexander", "Toby",
            "Luke", "Adam", "Benjamin", "Matthew", "Bradley", "Kyle", "Ashley", "Dean", "Craig", "Lee",
            "Scott", "Shaun", "Wayne", "Darren", "Gary", "Paul", "Mark", "David", "Andrew", "Richard",
            "Stephen", "Christopher", "Anthony", "Robert", "John", "Peter", "Ian", "Kevin", "Martin", "Simon",
            "Neil", "Stuart", "Graham", "Keith", "Colin", "Alan", "Brian", "Philip", "Jason", "Aaron", "Carl",
            "Gavin", "Patrick", "Owen", "Rhys", "Elliot",
        ),
    },
    "european": {
        "Female": (
            "Zuzanna", "Julia", "Maja", "Wiktoria", "Natalia", "Oliwia", "Ioana", "Andreea", "Elena", "Maria",
            "Gabriela", "Inês", "Beatriz", "Giulia", "Sofia", "Laura", "Ieva", "Agnė", "Kateřina", "Lenka",
        ),
        "Male": (
            "Jakub", "Kacper", "Szymon", "Mateusz", "Filip", "Andrei", "Alexandru", "Ionuț", "Mihai", "João",
            "Tiago", "Luca", "Marco", "Matteo", "Lukas", "Tomas", "Dominik", "Marek", "Pavel", "Gabriel",
        ),
    },
    "south_asian": {
        "Female": (
            "Aisha", "Ayesha", "Fatima", "Maryam", "Zara", "Zainab", "Amina", "Hafsa", "Iqra", "Noor", "Sana",
            "Priya", "Anjali", "Simran", "Jasleen", "Harpreet", "Nusrat", "Tasnim", "Sumaiya", "Sadia",
        ),
        "Male": (
            "Mohammed", "Muhammad", "Mohamed", "Ali", "Hassan", "Hussain", "Ibrahim", "Yusuf", "Bilal",
            "Hamza", "Imran", "Abdul", "Arjun", "Rohan", "Aarav", "Harjit", "Gurpreet", "Jaspal", "Rahim",
            "Zain",
        ),
    },
    "east_asian": {
        "Female": (
            "Mei", "Xin", "Yan", "Hui", "Ling", "Jing", "Wen", "Yi", "Lan", "Qing", "Linh", "Thu", "Mai",
            "Ngoc",
        ),
        "Male": (
            "Wei", "Jun", "Hao", "Ming", "Jian", "Lei", "Bo", "Tao", "Minh", "Duc", "Hung", "Tuan", "Kai",
            "Chen",
        ),
    },
    "african": {
        "Female": (
            "Abena", "Adaeze", "Amara", "Chiamaka", "Ngozi", "Folake", "Temitope", "Blessing", "Precious",
            "Nia", "Fadumo", "Hodan", "Ayan", "Hamdi", "Nasra", "Efua", "Esi", "Akosua", "Zawadi", "Chipo",
        ),
        "Male": (
            "Kwame", "Kofi", "Chinedu", "Emeka", "Oluwaseun", "Tunde", "Adebola", "Obinna", "Samuel",
            "Emmanuel", "Abdi", "Abdirahman", "Mahad", "Liban", "Kwabena", "Tendai", "Tafadzwa", "Joseph",
            "Daniel", "Michael",
        ),
    },
    "arab": {
        "Female": (
            "Layla", "Noura", "Rania", "Huda", "Salma", "Yasmin", "Amal", "Dina", "Reem", "Lina", "Hana",
            "Farah",
        ),
        "Male": (
            "Omar", "Ahmad", "Khalid", "Karim", "Youssef", "Tariq", "Sami", "Nabil", "Rami", "Faisal", "Ziad",
            "Adam",
        ),
    },
}

# Family names of the "anglo" pool are built from parts, for variety without a long list of real surnames.
ANGLO_FAMILY_STARTS = (
    "Ash", "Brad", "Brom", "Cal", "Dun", "Fair", "Hal", "Hart", "Hol", "Kel", "Lang", "Marl", "Mid", "Nor",
    "Oak", "Pen", "Rad", "Sel", "Thorn", "Wal", "Whit", "Wick", "Wood", "Yard", "Ack", "Bar", "Bel", "Birk",
    "Black", "Bram", "Brook", "Burn", "Chad", "Clay", "Dal", "Elm", "Farn", "Fox", "Gar", "Glen", "Green",
    "Hay", "Hen", "Kirk", "Lin", "Long", "Mar", "Mill", "Moor", "New", "North", "Ox", "Pick", "Ring", "Rush",
    "Salt", "Shel", "Shep", "South", "Stan", "Stock", "Sut", "Tat", "West", "Win",
)
ANGLO_FAMILY_ENDS = (
    "bury", "by", "croft", "den", "field", "ford", "ham", "ley", "ton", "well", "wood", "worth", "more",
    "stead", "borough", "bridge", "brook", "combe", "dale", "don", "hall", "hurst", "ington", "land", "mere",
    "shaw", "thorpe", "wick", "win",
)
FAMILY_NAMES: dict[str, tuple[str, ...]] = {
    "anglo": (
        "O'Brien", "Murphy", "Kelly", "McCarthy", "Doyle", "Walsh", "Byrne", "Campbell", "Stewart", "MacLeod",
        "Evans", "Hughes", "Price", "Llewellyn", "Smith", "Taylor", "Brown", "Wilson", "Robinson", "Wright",
    ),
    "european": (
        "Nowak", "Kowalczyk", "Wójcik", "Kamiński", "Lewandowski", "Zieliński", "Popescu", "Ionescu", "Popa",
        "Dumitru", "Stan", "Silva", "Santos", "Ferreira", "Pereira", "Rossi", "Russo", "Kazlauskas",
        "Petrauskas", "Novák", "Horváth", "Dvořák", "Balog", "Lakatos",
    ),
    "south_asian": (
        "Khan", "Ahmed", "Ahmad", "Hussain", "Ali", "Akhtar", "Iqbal", "Mahmood", "Rashid", "Begum", "Rahman",
        "Miah", "Uddin", "Chowdhury", "Islam", "Patel", "Shah", "Sharma", "Singh", "Kaur", "Gill", "Sandhu",
        "Kumar", "Mistry",
    ),
    "east_asian": (
        "Chen", "Wang", "Li", "Zhang", "Liu", "Wong", "Chan", "Lam", "Ng", "Cheung", "Nguyen", "Tran", "Le",
        "Pham", "Huang", "Lin",
    ),
    "african": (
        "Okafor", "Okeke", "Adeyemi", "Adebayo", "Oluwole", "Mensah", "Owusu", "Boateng", "Asante", "Osei",
        "Farah", "Hassan", "Mohamud", "Abdullahi", "Warsame", "Moyo", "Ncube", "Mwangi", "Otieno", "Kamara",
    ),
    "arab": (
        "Haddad", "Nasser", "Khalil", "Saleh", "Mansour", "Aziz", "Hamdan", "Darwish", "Said", "Mahmoud",
        "Barakat", "Sabbagh",
    ),
}
HERITAGES = tuple(GIVEN_NAMES)

# How likely each name heritage is for each recorded ethnicity; anything unlisted draws from BOROUGH_HERITAGE.
HERITAGE_BY_ETHNICITY: dict[str, dict[str, float]] = {
    "Asian, Asian British or Asian Welsh: Bangladeshi": {"south_asian": 1},
    "Asian, Asian British or Asian Welsh: Chinese": {"east_asian": 1},
    "Asian, Asian British or Asian Welsh: Indian": {"south_asian": 1},
    "Asian, Asian British or Asian Welsh: Pakistani": {"south_asian": 1},
    "Asian, Asian British or Asian Welsh: Other Asian": {"south_asian": 0.5, "east_asian": 0.5},
    "Black, Black British, Black Welsh, Caribbean or African: African": {"african": 1},
    "Black, Black British, Black Welsh, Caribbean or African: Caribbean": {"anglo": 1},
    "Black, Black British, Black Welsh, Caribbean or African: Other Black": {"anglo": 0.5, "african": 0.5},
    "Mixed or Multiple ethnic groups: White and Asian": {"anglo": 0.5, "south_asian": 0.5},
    "Mixed or Multiple ethnic groups: White and Black African": {"anglo": 0.5, "african": 0.5},
    "Mixed or Multiple ethnic groups: White and Black Caribbean": {"anglo": 1},
    "White: English, Welsh, Scottish, Northern Irish or British": {"anglo": 1},
    "White: Irish": {"anglo": 1},
    "White: Gypsy or Irish Traveller": {"anglo": 1},
    "White: Roma": {"european": 1},
    "White: Other White": {"european": 0.7, "anglo": 0.3},
    "Other ethnic group: Arab": {"arab": 1},
}
BOROUGH_HERITAGE = {
    "anglo": 0.78, "european": 0.06, "south_asian": 0.08, "east_asian": 0.02, "african": 0.04, "arab": 0.02,
}
# The share of people whose names come from any pool whatever their ethnicity: names do not determine
# ethnicity.
HERITAGE_MIXING = 0.1

# Familiar forms people are known by, which records use interchangeably with the given name.
SHORT_FORMS: dict[str, tuple[str, ...]] = {
    "Oliver": ("Ollie",), "Jessica": ("Jess", "Jessie"), "Mohammed": ("Mo",), "Muhammad": ("Mo",),
    "Mohamed": ("Mo",), "Thomas": ("Tom", "Tommy"), "William": ("Will", "Billy"), "James": ("Jamie", "Jim"),
    "Daniel": ("Dan", "Danny"), "Joshua": ("Josh",), "Jacob": ("Jake",), "Charlotte": ("Lottie", "Charlie"),
    "Bethany": ("Beth",), "Katie": ("Kate", "Kat"), "Megan": ("Meg",), "Olivia": ("Liv", "Livvy"),
    "Amelia": ("Millie",), "Sophie": ("Soph",), "Ellie-Mae": ("Ellie",), "Rebecca": ("Becky", "Bex"),
    "Samuel": ("Sam", "Sammy"), "Michael": ("Mike", "Mikey"), "Joseph": ("Joe", "Joey"), "Nathan": ("Nate",),
    "Alexandru": ("Alex",), "Jakub": ("Kuba",), "Zuzanna": ("Zuzia",), "Gabriela": ("Gabi",),
    "Abdirahman": ("Abdi",), "Oluwaseun": ("Seun",), "Temitope": ("Tope",), "Emmanuel": ("Manny",),
    "Kwabena": ("Kobby",), "Ibrahim": ("Ibby",), "Youssef": ("Yusuf",), "Harry": ("Haz",),
    "Charlie": ("Chaz",),
    "Courtney": ("Court",), "Kayleigh": ("Kay",), "Zainab": ("Zee",), "Harpreet": ("Preet",),
    "Gurpreet": ("Gurps",), "Chiamaka": ("Amaka",), "Adaeze": ("Ada",),
}
# Street names used for persons of concern in intelligence reports.
ALIASES = (
    "Tiny", "Smiler", "Ace", "Slim", "Boss", "Uncle", "Shorty", "Lucky", "Flash", "Red", "Chef", "Doc",
    "Prince", "Bear", "Fox", "Wolf", "Ghost", "Biggie", "Bubbles", "Skinny", "Dee", "Jay", "Kay-Kay", "Bruv",
)

# Geography
STREET_NAMES = (
    "Mill", "Church", "Station", "Canal", "Victoria", "Albert", "Park", "Queen's", "King's", "Chapel",
    "Bridge", "Market", "School", "Elm", "Ash", "Beech", "Willow", "Cedar", "Orchard", "Meadow", "Ferry",
    "Wharf", "Foundry", "Tannery", "Weaver", "Brook", "Hill", "Moor", "Holly", "Rowan", "Lantern", "Cooper",
    "Ropewalk", "Granary",
)
STREET_SUFFIXES = (
    "Street", "Road", "Lane", "Avenue", "Close", "Way", "Terrace", "Grove", "Crescent", "Drive", "Court",
    "Place",
)
# Postcode unit letters leave out C, I, K, M, O and V, as Royal Mail does.
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

PLACE_TYPE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("house", 38), ("flat", 15), ("shop", 8), ("takeaway", 8), ("park", 5), ("school", 4), ("car_park", 4),
    ("hotel", 3), ("cafe", 3), ("taxi_rank", 2), ("allotment", 2), ("pub", 2), ("leisure_centre", 2),
    ("bus_station", 1), ("shopping_centre", 1), ("retail_park", 1), ("playground", 1),
)
TAKEAWAY_NAMES = (
    "Golden Fry", "Pizza Palace", "Kebab House", "Dragon Garden", "Spice Lounge", "Chicken Shack",
    "Codfather", "Perfect Pizza", "Peri Peri Grill", "Jade Garden", "Saffron Kitchen", "Burger Barn",
    "The Chippy", "Lucky Star",
)
SHOP_NAMES = (
    "Mini Market", "Stores", "Convenience Store", "Off Licence", "News and Booze", "Vape Shop",
    "Phone Repairs", "Food and Wine", "Pound Shop", "Express",
)
CAFE_NAMES = ("Cafe", "Coffee House", "Tea Rooms", "Snack Bar", "Diner")
PUB_NAMES = (
    "Red Lion", "Crown", "Ship", "Navigation", "Ferryman", "Plough", "Boatman", "Weavers' Arms",
    "Lamplighter",
)
HOTEL_NAMES = (
    "Lodge", "Station Hotel", "Riverside Hotel", "Guest House", "Travel Inn", "Park Hotel", "Court Hotel",
)
SAINTS = ("Anne", "Bede", "Chad", "Hilda", "Aidan", "Cuthbert", "Margaret", "Wilfrid", "Mary", "Patrick")

# Vehicles: make, model, weight. Taxis come from the second list, as licensed fleets do.
VEHICLE_MODELS: tuple[tuple[str, str, float], ...] = (
    ("Ford", "Fiesta", 6), ("Ford", "Focus", 5), ("Ford", "Kuga", 3), ("Ford", "Transit Custom", 2),
    ("Vauxhall", "Corsa", 6), ("Vauxhall", "Astra", 4), ("Vauxhall", "Insignia", 1),
    ("Volkswagen", "Golf", 5), ("Volkswagen", "Polo", 4), ("Volkswagen", "Passat", 1),
    ("Volkswagen", "Transporter", 1),
    ("Toyota", "Yaris", 3), ("Toyota", "Corolla", 2), ("Toyota", "Aygo", 2), ("Toyota", "C-HR", 1),
    ("Skoda", "Octavia", 2), ("Skoda", "Fabia", 2),
    ("BMW", "1 Series", 2), ("BMW", "3 Series", 2), ("BMW", "X5", 1),
    ("Mercedes-Benz", "A-Class", 2), ("Mercedes-Benz", "C-Class", 2), ("Mercedes-Benz", "Vito", 1),
    ("Audi", "A3", 2), ("Audi", "A4", 1),
    ("Nissan", "Qashqai", 3), ("Nissan", "Micra", 2),
    ("Kia", "Sportage", 2), ("Kia", "Ceed", 1),
    ("Hyundai", "Tucson", 2), ("Hyundai", "i10", 1),
    ("Peugeot", "208", 2), ("Peugeot", "308", 1),
    ("Renault", "Clio", 2),
    ("Honda", "Civic", 1), ("Honda", "Jazz", 1),
    ("Seat", "Leon", 1), ("Seat", "Ibiza", 1),
    ("Mini", "Hatch", 2),
    ("Land Rover", "Range Rover Evoque", 1),
    ("Dacia", "Sandero", 2),
    ("Tesla", "Model 3", 1),
)
TAXI_MODELS: tuple[tuple[str, str, float], ...] = (
    ("Toyota", "Prius", 5), ("Toyota", "Corolla", 3), ("Skoda", "Octavia", 4), ("Skoda", "Superb", 3),
    ("Volkswagen", "Passat", 2), ("Kia", "Niro", 2), ("Hyundai", "Ioniq", 2), ("Ford", "Galaxy", 1),
    ("Mercedes-Benz", "Vito", 1), ("Dacia", "Jogger", 1),
)
HACKNEY_MODELS: tuple[tuple[str, str, float], ...] = (
    ("LEVC", "TX", 4), ("Peugeot", "E7", 2), ("Mercedes-Benz", "Vito Taxi", 2), ("Ford", "Tourneo Custom", 1),
)
VEHICLE_COLOURS: tuple[tuple[str, float], ...] = (
    ("Grey", 20), ("Black", 18), ("White", 17), ("Blue", 14), ("Silver", 12), ("Red", 10), ("Green", 2),
    ("Orange", 1), ("Yellow", 1), ("Brown", 1), ("Beige", 1), ("Bronze", 0.5), ("Gold", 0.5), ("Purple", 0.5),
    ("Maroon", 0.5), ("Turquoise", 0.3), ("Pink", 0.2),
)
VEHICLE_USE_WEIGHTS: tuple[tuple[str, float], ...] = (("private", 92), ("private_hire", 6), ("hackney", 2))
# Registration marks: the first letter is the DVLA region, and I, Q and Z never appear in the local memory
# tag.
PLATE_REGION_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("Y", 45), ("M", 10), ("N", 8), ("P", 5), ("L", 5), ("B", 4), ("S", 3), ("F", 3), ("A", 2), ("C", 2),
    ("D", 2), ("E", 2), ("G", 2), ("H", 2), ("K", 2), ("O", 1), ("R", 1), ("V", 1), ("W", 1),
)
PLATE_MEMORY_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"
PLATE_RANDOM_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXYZ"
