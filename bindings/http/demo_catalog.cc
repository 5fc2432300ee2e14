#include "demo_catalog.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "watchstore/errors.h"
#include "watchstore/status_macros.h"

namespace watchstore::http {
namespace {

using M = Movement;

// The dial pictures under frontend/img/dials/, by the colour word that
// names them; a dial is pictured by the colour word that comes first in its
// name ("black, red and blue bezel" is black, "textured blue" is blue).
constexpr std::pair<absl::string_view, absl::string_view> kDialPictures[] = {
    {"black", "black"},   {"white", "white"},   {"blue", "blue"},       {"navy", "blue"},
    {"green", "green"},   {"grey", "grey"},     {"anthracite", "grey"}, {"cream", "cream"},
    {"silver", "silver"}, {"salmon", "salmon"}, {"orange", "orange"},   {"champagne", "champagne"},
    {"khaki", "khaki"},
};

// The picture of a dial, or empty when none matches.
std::string DialPicture(absl::string_view dial) {
  size_t best = absl::string_view::npos;
  absl::string_view file;
  for (const auto& [word, name] : kDialPictures) {
    const size_t at = dial.find(word);
    if (at < best) {
      best = at;
      file = name;
    }
  }
  return file.empty() ? std::string() : absl::StrCat("/img/dials/", file, ".svg");
}

struct DemoVariant {
  const char* sku;
  const char* dial;
  const char* strap;
  const char* size;
  int64_t price_cents;
  int64_t stock;
};

struct DemoWatch {
  const char* brand;
  const char* model;
  Movement movement;
  int32_t case_mm;
  const char* material;
  int32_t water_m;
  const char* strap;
  const char* collections;  // comma-separated
  const char* image;        // /img/watches/<image>.svg
  const char* description;
  std::vector<DemoVariant> variants;
};

// Prices in cents. Stock 0 is sold out; 1 to 3 is low.
const std::vector<DemoWatch>& Watches() {
  static const auto* const kWatches = new std::vector<DemoWatch>{
      // --- Tidewright: divers ---
      {"Tidewright",
       "Reefline 42",
       M::kAutomatic,
       42,
       "steel",
       300,
       "black rubber",
       "Dive",
       "w02",
       "A no-nonsense diver with a 120-click unidirectional bezel, a screw-down crown and lume you "
       "can read at the bottom of a quarry. Built to be knocked about and serviced, not babied.",
       {{"TDW-REEF42-BLK", "black", "black rubber", "42 mm", 69500, 24},
        {"TDW-REEF42-BLU", "ocean blue", "black rubber", "42 mm", 69500, 3},
        {"TDW-REEF42-BLK-BR", "black", "steel bracelet", "42 mm", 79500, 12}}},
      {"Tidewright",
       "Reefline 38",
       M::kAutomatic,
       38,
       "steel",
       200,
       "steel bracelet",
       "Dive,Everyday",
       "w02",
       "The Reefline shrunk to fit smaller wrists and shirt cuffs, with the same bezel action and "
       "200 m of water resistance. The diver for people who rarely dive.",
       {{"TDW-REEF38-BLK", "black", "steel bracelet", "38 mm", 65000, 9},
        {"TDW-REEF38-GRN", "kelp green", "steel bracelet", "38 mm", 65000, 0}}},
      {"Tidewright",
       "Fathom Pro 44",
       M::kAutomatic,
       44,
       "titanium",
       1000,
       "black rubber",
       "Dive",
       "w02",
       "A saturation diver's tool in grade 2 titanium: helium escape valve, 4 mm sapphire crystal "
       "and a ceramic bezel insert. Light on the wrist for a watch rated to a kilometre.",
       {{"TDW-FATHOM44-BLK", "black", "black rubber", "44 mm", 145000, 6},
        {"TDW-FATHOM44-ORG", "signal orange", "black rubber", "44 mm", 145000, 2}}},
      {"Tidewright",
       "Shoal Quartz 40",
       M::kQuartz,
       40,
       "steel",
       100,
       "nylon strap",
       "Dive,Everyday",
       "w02",
       "A quartz beater with a diver's bezel and a battery that lasts about four years. Throw it "
       "in a bag, take it swimming, forget to wind it: it will not mind.",
       {{"TDW-SHOAL40-NVY", "navy", "navy nylon strap", "40 mm", 24500, 40},
        {"TDW-SHOAL40-GRY", "slate grey", "grey nylon strap", "40 mm", 24500, 35}}},
      {"Tidewright",
       "Abyssal Solar 43",
       M::kSolar,
       43,
       "titanium",
       200,
       "black rubber",
       "Dive",
       "w02",
       "Light through the dial keeps it running for months in a drawer. A titanium case, a "
       "ceramic-filled bezel and a strap that stays supple in cold water.",
       {{"TDW-ABYSS43-BLK", "black", "black rubber", "43 mm", 42000, 18}}},
      {"Tidewright",
       "Lagoon 36",
       M::kAutomatic,
       36,
       "steel",
       150,
       "tropic rubber",
       "Dive,Everyday",
       "w01",
       "A compact skin diver with a sunburst navy dial and a slim case that slides under a cuff. "
       "Our answer to those who asked for a smaller Reefline with more polish.",
       {{"TDW-LAGOON36-NVY", "navy sunburst", "tropic rubber", "36 mm", 59000, 11}}},
      {"Tidewright",
       "Kinetic Drift 42",
       M::kKinetic,
       42,
       "steel",
       200,
       "steel bracelet",
       "Dive",
       "w02",
       "Wrist motion charges a capacitor that drives a quartz movement: the accuracy of quartz "
       "without batteries. Back in stock in spring.",
       {{"TDW-DRIFT42-BLK", "black", "steel bracelet", "42 mm", 51000, 0}}},

      // --- Kestrel & Vane: pilot and field ---
      {"Kestrel & Vane",
       "Type A Flieger",
       M::kAutomatic,
       44,
       "steel",
       100,
       "brown leather",
       "Pilot",
       "w08",
       "A classic observation dial with a triangle at twelve, an oversized onion crown you can "
       "turn in gloves, and a riveted leather strap. Two sizes, same legibility.",
       {{"KV-TYPEA-44", "black", "brown riveted leather", "44 mm", 115000, 8},
        {"KV-TYPEA-40", "black", "brown riveted leather", "40 mm", 110000, 5}}},
      {"Kestrel & Vane",
       "Field Mk II",
       M::kManual,
       38,
       "steel",
       100,
       "olive canvas",
       "Field",
       "w11",
       "Hand-wound, 38 mm, Arabic numerals and a canvas strap: a field watch as the armies of the "
       "forties specified it, with a modern 80-hour movement.",
       {{"KV-FIELD38-KHK", "khaki", "olive canvas", "38 mm", 48000, 15},
        {"KV-FIELD38-BLK", "black", "olive canvas", "38 mm", 48000, 1}}},
      {"Kestrel & Vane",
       "Navigator GMT 41",
       M::kAutomatic,
       41,
       "steel",
       100,
       "steel bracelet",
       "Pilot,GMT",
       "w09",
       "A true traveller's GMT: the local hour hand jumps on its own so the date follows, while "
       "the 24-hour hand keeps home time against the two-colour bezel.",
       {{"KV-NAVGMT41", "black", "steel bracelet", "41 mm", 189000, 7}}},
      {"Kestrel & Vane",
       "Squadron Chronograph",
       M::kAutomatic,
       42,
       "steel",
       100,
       "black leather",
       "Pilot,Chronograph",
       "w07",
       "A column-wheel chronograph with a tachymeter bezel and a crisp panda dial, drawn from the "
       "cockpit clocks of post-war trainers.",
       {{"KV-SQUAD42-PND", "white panda", "black leather", "42 mm", 245000, 4},
        {"KV-SQUAD42-BLU", "blue", "black leather", "42 mm", 245000, 0}}},
      {"Kestrel & Vane",
       "Ranger Solar 40",
       M::kSolar,
       40,
       "titanium",
       100,
       "tan canvas",
       "Field,Everyday",
       "w05",
       "Solar-powered and titanium-cased, the Ranger is the watch we pack for long walks: nothing "
       "to wind, nothing to charge, six months of reserve in the dark.",
       {{"KV-RANGER40-GRN", "forest green", "tan canvas", "40 mm", 36000, 26}}},
      {"Kestrel & Vane",
       "Airfield Quartz 39",
       M::kQuartz,
       39,
       "steel",
       50,
       "brown leather",
       "Pilot,Everyday",
       "w12",
       "Our simplest pilot's watch: a clean white dial, a thin case and a quartz movement. The "
       "easy first watch, and the one you lend to friends.",
       {{"KV-AIRFIELD39-WHT", "white", "brown leather", "39 mm", 19500, 50}}},

      // --- Veloquin: chronographs ---
      {"Veloquin",
       "Paddock Chronograph",
       M::kManual,
       40,
       "steel",
       50,
       "perforated black leather",
       "Chronograph",
       "w07",
       "Hand-wound and pump-pushered, the Paddock times a lap the way it was done in the sixties. "
       "The reverse panda was a pit-wall favourite.",
       {{"VLQ-PADDOCK40-PND", "white panda", "perforated black leather", "40 mm", 320000, 5},
        {"VLQ-PADDOCK40-RPN", "black reverse panda", "perforated black leather", "40 mm", 320000,
         2}}},
      {"Veloquin",
       "Apex Automatic Chronograph",
       M::kAutomatic,
       42,
       "steel",
       100,
       "steel bracelet",
       "Chronograph,Sport",
       "w07",
       "An integrated self-winding chronograph with a flyback function and a bracelet that tapers "
       "from 22 to 18 mm. Our most capable everyday chronograph.",
       {{"VLQ-APEX42", "silver", "steel bracelet", "42 mm", 475000, 6}}},
      {"Veloquin",
       "Monza Quartz Chrono",
       M::kQuartz,
       41,
       "steel",
       100,
       "perforated leather",
       "Chronograph,Everyday",
       "w07",
       "The racing look at a weekend price: a quartz chronograph to a tenth of a second, with a "
       "perforated strap and a tachymeter printed on the flange.",
       {{"VLQ-MONZA41-BLK", "black", "perforated leather", "41 mm", 49500, 30},
        {"VLQ-MONZA41-WHT", "white", "perforated leather", "41 mm", 49500, 22}}},
      {"Veloquin",
       "Carbon Lap 45",
       M::kAutomatic,
       45,
       "forged carbon",
       100,
       "grey rubber",
       "Chronograph,Sport",
       "w08",
       "A forged-carbon case that weighs less than the strap, a skeletonised chronograph and "
       "orange accents from our endurance-racing team. One left from this season's run.",
       {{"VLQ-CARBON45", "grey skeleton", "grey rubber", "45 mm", 950000, 1}}},
      {"Veloquin",
       "Rallye 38",
       M::kManual,
       38,
       "steel",
       30,
       "brown leather",
       "Chronograph,Dress",
       "w07",
       "A small two-register chronograph with a cream dial and blued hands, as elegant at dinner "
       "as at a hill climb. Sold out; a new batch is being assembled.",
       {{"VLQ-RALLYE38", "cream", "brown leather", "38 mm", 280000, 0}}},
      {"Veloquin",
       "Grid Solar Chrono 43",
       M::kSolar,
       43,
       "titanium",
       100,
       "black rubber",
       "Chronograph,Sport",
       "w08",
       "A solar chronograph in titanium with a 60-minute counter and a lap function. Runs for "
       "eight months on a full charge.",
       {{"VLQ-GRID43", "anthracite", "black rubber", "43 mm", 69000, 14}}},

      // --- Aurelle Genève: dress ---
      {"Aurelle Genève",
       "Soirée 38",
       M::kManual,
       38,
       "rose gold",
       30,
       "brown leather",
       "Dress",
       "w03",
       "Rose gold, a grand-feu enamel dial with Roman numerals and a movement finished by hand on "
       "both sides. A dress watch in the old sense.",
       {{"AUR-SOIREE38", "cream enamel", "brown leather", "38 mm", 1450000, 2}}},
      {"Aurelle Genève",
       "Rectangle Classique",
       M::kManual,
       34,
       "yellow gold",
       30,
       "black leather",
       "Dress",
       "w04",
       "A rectangular yellow-gold case drawn in the thirties and redrawn by us, with a silvered "
       "dial and a shaped hand-wound movement.",
       {{"AUR-RECT34", "silver", "black leather", "34 mm", 1180000, 3}}},
      {"Aurelle Genève",
       "Quantième Perpétuel 40",
       M::kAutomatic,
       40,
       "rose gold",
       30,
       "brown leather",
       "Dress",
       "w03",
       "A perpetual calendar that knows the length of every month until 2100, with a moon phase "
       "accurate to a day in 122 years. Made to order; one in the showroom.",
       {{"AUR-QP40", "cream", "brown leather", "40 mm", 2450000, 1}}},
      {"Aurelle Genève",
       "Ultra-Plate 39",
       M::kAutomatic,
       39,
       "steel",
       30,
       "black leather",
       "Dress",
       "w12",
       "At 6.9 mm, the thinnest self-winding watch we make, with a micro-rotor movement and a "
       "dial that shows nothing but the time.",
       {{"AUR-UPLATE39-SLV", "silver", "black leather", "39 mm", 390000, 6},
        {"AUR-UPLATE39-BLU", "midnight blue", "navy leather", "39 mm", 390000, 3}}},
      {"Aurelle Genève",
       "Cannelé 36",
       M::kAutomatic,
       36,
       "yellow gold",
       50,
       "gold mesh bracelet",
       "Dress",
       "w10",
       "A fluted yellow-gold bezel, a salmon dial and a woven gold bracelet: the most decorated "
       "watch in our collection. Sold out until the autumn.",
       {{"AUR-CANNELE36", "salmon", "gold mesh bracelet", "36 mm", 1890000, 0}}},
      {"Aurelle Genève",
       "Phase de Lune 41",
       M::kAutomatic,
       41,
       "steel",
       30,
       "brown leather",
       "Dress",
       "w03",
       "A moon phase under a domed crystal, hand-set with a pusher at ten, on a steel case "
       "polished "
       "to a mirror.",
       {{"AUR-LUNE41", "cream", "brown leather", "41 mm", 620000, 4}}},
      {"Aurelle Genève",
       "Petite Seconde 35",
       M::kManual,
       35,
       "white gold",
       30,
       "grey leather",
       "Dress",
       "w04",
       "A small seconds at six, a white-gold case and a dial of opaline silver. For wrists that "
       "prefer whispering.",
       {{"AUR-PSEC35", "opaline silver", "grey leather", "35 mm", 1640000, 2}}},

      // --- Weisshorn: Bauhaus, field and tool ---
      {"Weisshorn",
       "Bauhaus 38",
       M::kManual,
       38,
       "steel",
       30,
       "navy leather",
       "Dress,Everyday",
       "w12",
       "Thin hands, thin indices, a domed crystal and nothing else. Hand-wound, 38 mm and 8 mm "
       "thin; a design lesson on the wrist.",
       {{"WSH-BH38-WHT", "white", "navy leather", "38 mm", 89000, 20},
        {"WSH-BH38-BLK", "black", "black leather", "38 mm", 89000, 7}}},
      {"Weisshorn",
       "Bauhaus Automatic",
       M::kAutomatic,
       40,
       "steel",
       50,
       "navy leather",
       "Dress,Everyday",
       "w12",
       "The Bauhaus with a self-winding movement and a date at three, in two sizes.",
       {{"WSH-BHA-40", "white", "navy leather", "40 mm", 119000, 12},
        {"WSH-BHA-36", "white", "navy leather", "36 mm", 114000, 3}}},
      {"Weisshorn",
       "Alpin Field 40",
       M::kAutomatic,
       40,
       "titanium",
       200,
       "olive canvas",
       "Field",
       "w11",
       "Made for the high huts above Zermatt: a titanium case, an anti-magnetic cage around the "
       "movement and numerals that glow for hours.",
       {{"WSH-ALPIN40", "khaki", "olive canvas", "40 mm", 145000, 9}}},
      {"Weisshorn",
       "Quarzwerk 36",
       M::kQuartz,
       36,
       "steel",
       50,
       "brown leather",
       "Everyday",
       "w12",
       "A thermo-compensated quartz movement accurate to ten seconds a year, in a plain steel case "
       "that suits everything.",
       {{"WSH-QW36", "white", "brown leather", "36 mm", 32000, 45}}},
      {"Weisshorn",
       "Gipfel GMT 42",
       M::kAutomatic,
       42,
       "steel",
       200,
       "steel bracelet",
       "GMT,Sport",
       "w09",
       "A second time zone on a two-colour 24-hour bezel, for climbers who call home from the "
       "other side of the world.",
       {{"WSH-GIPFEL42", "black", "steel bracelet", "42 mm", 235000, 3}}},
      {"Weisshorn",
       "Sonnenuhr Solar 39",
       M::kSolar,
       39,
       "steel",
       100,
       "steel mesh bracelet",
       "Everyday",
       "w01",
       "A solar cell hidden under a navy sunburst dial and a Milanese mesh bracelet. Sold out; "
       "more are on their way.",
       {{"WSH-SONNE39", "navy sunburst", "steel mesh bracelet", "39 mm", 54000, 0}}},
      {"Weisshorn",
       "Tiefsee 43",
       M::kAutomatic,
       43,
       "steel",
       500,
       "black rubber",
       "Dive",
       "w02",
       "A 500-metre diver built to German industrial norms: a thick sapphire, a locking bezel and "
       "a crown guard you could open a bottle with.",
       {{"WSH-TIEFSEE43", "black", "black rubber", "43 mm", 198000, 5}}},

      // --- Sorano: spring drive, solar, kinetic ---
      {"Sorano",
       "Kiri Spring Drive 40",
       M::kSpringDrive,
       40,
       "titanium",
       100,
       "titanium bracelet",
       "Dress,Everyday",
       "w01",
       "A glide-wheel regulated movement whose seconds hand sweeps without a tick, under a dial "
       "textured like fresh snow. Our signature watch.",
       {{"SOR-KIRI40-WHT", "snow white", "titanium bracelet", "40 mm", 580000, 4},
        {"SOR-KIRI40-BLU", "lake blue", "titanium bracelet", "40 mm", 580000, 2}}},
      {"Sorano",
       "Hoshi GMT Spring Drive 44",
       M::kSpringDrive,
       44,
       "steel",
       200,
       "steel bracelet",
       "GMT",
       "w09",
       "The smooth sweep of our spring drive calibre with an independently set GMT hand and a "
       "72-hour power reserve shown on the dial.",
       {{"SOR-HOSHI44", "black", "steel bracelet", "44 mm", 740000, 2}}},
      {"Sorano",
       "Umi Diver Spring Drive 45",
       M::kSpringDrive,
       45,
       "titanium",
       600,
       "black rubber",
       "Dive",
       "w02",
       "Six hundred metres, a monocoque titanium case and the silent sweep of a spring drive: a "
       "professional's diver, one piece left.",
       {{"SOR-UMI45", "black", "black rubber", "45 mm", 790000, 1}}},
      {"Sorano",
       "Tsuki Solar 38",
       M::kSolar,
       38,
       "steel",
       100,
       "black leather",
       "Dress,Everyday",
       "w12",
       "A thin solar dress watch whose white dial hides the cell completely. Wear it to work, "
       "leave it in a drawer for months, and it still runs.",
       {{"SOR-TSUKI38", "white", "black leather", "38 mm", 41000, 22}}},
      {"Sorano",
       "Kaze Kinetic 41",
       M::kKinetic,
       41,
       "steel",
       100,
       "integrated steel bracelet",
       "Everyday,Sport",
       "w06",
       "An octagonal sports watch powered by your movements, with a textured blue dial and an "
       "integrated bracelet.",
       {{"SOR-KAZE41", "textured blue", "integrated steel bracelet", "41 mm", 56000, 16}}},
      {"Sorano",
       "Mori Automatic 37",
       M::kAutomatic,
       37,
       "steel",
       100,
       "green leather",
       "Field,Everyday",
       "w05",
       "A forest-green dial and a compact case for an everyday automatic that feels like a walk "
       "in the woods.",
       {{"SOR-MORI37-GRN", "forest green", "tan suede", "37 mm", 65000, 8},
        {"SOR-MORI37-CRM", "cream", "green leather", "37 mm", 65000, 5}}},
      {"Sorano",
       "Yoru Chronograph 42",
       M::kSolar,
       42,
       "titanium",
       100,
       "titanium bracelet",
       "Chronograph",
       "w07",
       "A light-powered chronograph in titanium with a 60-minute counter and a panda dial that "
       "stays legible at night.",
       {{"SOR-YORU42", "white panda", "titanium bracelet", "42 mm", 78000, 10}}},

      // --- Halden & Crewe: everyday ---
      {"Halden & Crewe",
       "Commuter 40",
       M::kQuartz,
       40,
       "steel",
       50,
       "leather",
       "Everyday",
       "w12",
       "The watch you put on without thinking: a clean dial, a date window and a leather strap "
       "that gets better with age.",
       {{"HC-COMM40-WHT", "white", "navy leather", "40 mm", 15000, 60},
        {"HC-COMM40-BLK", "black", "black leather", "40 mm", 15000, 48}}},
      {"Halden & Crewe",
       "Commuter 36",
       M::kQuartz,
       36,
       "steel",
       50,
       "steel mesh bracelet",
       "Everyday",
       "w12",
       "The Commuter in a smaller size on a Milanese mesh bracelet. Only a few left.",
       {{"HC-COMM36-WHT", "white", "steel mesh bracelet", "36 mm", 16500, 4}}},
      {"Halden & Crewe",
       "Daybreak Solar 41",
       M::kSolar,
       41,
       "steel",
       100,
       "steel bracelet",
       "Everyday",
       "w01",
       "A sunburst navy dial that charges in daylight, on a bracelet with a micro-adjust clasp.",
       {{"HC-DAYBREAK41", "navy sunburst", "steel bracelet", "41 mm", 28500, 33}}},
      {"Halden & Crewe",
       "Weekender 42",
       M::kQuartz,
       42,
       "steel",
       100,
       "nylon strap",
       "Field,Everyday",
       "w11",
       "Big numerals, a nylon strap in three colours and a price that lets you own all three.",
       {{"HC-WKND42-OLV", "khaki", "olive nylon strap", "42 mm", 17500, 27},
        {"HC-WKND42-SND", "khaki", "sand nylon strap", "42 mm", 17500, 19},
        {"HC-WKND42-BLK", "black", "black nylon strap", "42 mm", 17500, 0}}},
      {"Halden & Crewe",
       "Harbour Diver 40",
       M::kAutomatic,
       40,
       "steel",
       200,
       "black rubber",
       "Dive,Everyday",
       "w02",
       "An honest automatic diver at a price that leaves money for the holiday.",
       {{"HC-HARBOUR40", "black", "black rubber", "40 mm", 39500, 19}}},
      {"Halden & Crewe",
       "Kinetic Classic 39",
       M::kKinetic,
       39,
       "steel",
       50,
       "brown leather",
       "Dress,Everyday",
       "w12",
       "A motion-charged classic with a white dial and applied indices. Two left in this run.",
       {{"HC-KCLASSIC39", "white", "brown leather", "39 mm", 34000, 2}}},
      {"Halden & Crewe",
       "Chrono Sport 43",
       M::kQuartz,
       43,
       "steel",
       100,
       "orange rubber",
       "Chronograph,Sport",
       "w08",
       "A quartz chronograph with orange accents and a rubber strap, for the gym and the track.",
       {{"HC-CHRONO43", "grey", "orange rubber", "43 mm", 24500, 28}}},

      // --- Corvane: GMT and travel ---
      {"Corvane",
       "Meridian GMT 40",
       M::kAutomatic,
       40,
       "steel",
       100,
       "five-link steel bracelet",
       "GMT",
       "w09",
       "A two-colour 24-hour bezel, a jumping local hour and a five-link bracelet: a second time "
       "zone in the most readable form we know.",
       {{"CRV-MERID40-RB", "black, red and blue bezel", "five-link steel bracelet", "40 mm", 265000,
         6},
        {"CRV-MERID40-BB", "black, black and blue bezel", "five-link steel bracelet", "40 mm",
         265000, 3}}},
      {"Corvane",
       "Atlas Worldtimer 42",
       M::kAutomatic,
       42,
       "steel",
       50,
       "brown leather",
       "GMT,Dress",
       "w01",
       "All twenty-four time zones at a glance, with the cities ring turned by the crown. For "
       "people with colleagues everywhere.",
       {{"CRV-ATLAS42", "navy", "brown leather", "42 mm", 590000, 2}}},
      {"Corvane",
       "Layover Quartz GMT 41",
       M::kQuartz,
       41,
       "steel",
       100,
       "steel bracelet",
       "GMT,Everyday",
       "w09",
       "A quartz GMT with a 24-hour bezel, for travellers who would rather not set an automatic "
       "after a long flight.",
       {{"CRV-LAYOVER41", "black", "steel bracelet", "41 mm", 62000, 24}}},
      {"Corvane",
       "Transit Titanium GMT 39",
       M::kAutomatic,
       39,
       "titanium",
       150,
       "titanium bracelet",
       "GMT,Sport",
       "w06",
       "A 39 mm titanium GMT that weighs 72 grams on its bracelet. Sold out; the next batch ships "
       "in six weeks.",
       {{"CRV-TRANSIT39", "blue", "titanium bracelet", "39 mm", 340000, 0}}},
      {"Corvane",
       "Octa Sport 41",
       M::kAutomatic,
       41,
       "steel",
       100,
       "integrated steel bracelet",
       "Sport,Everyday",
       "w06",
       "An octagonal bezel screwed down with eight visible screws, a textured dial and an "
       "integrated bracelet. Three dial colours.",
       {{"CRV-OCTA41-BLU", "textured blue", "integrated steel bracelet", "41 mm", 425000, 5},
        {"CRV-OCTA41-GRY", "textured grey", "integrated steel bracelet", "41 mm", 425000, 2},
        {"CRV-OCTA41-GRN", "textured green", "integrated steel bracelet", "41 mm", 435000, 0}}},
      {"Corvane",
       "Nomad Solar GMT 43",
       M::kSolar,
       43,
       "titanium",
       200,
       "tan canvas",
       "GMT,Field",
       "w05",
       "A solar GMT for expeditions: titanium, a 24-hour hand and nothing that needs a socket.",
       {{"CRV-NOMAD43", "olive green", "tan canvas", "43 mm", 89000, 13}}},

      // --- Maison Lévrier: dress ---
      {"Maison Lévrier",
       "Opéra 37",
       M::kManual,
       37,
       "rose gold",
       30,
       "brown leather",
       "Dress",
       "w03",
       "A rose-gold case, a cream dial with Roman numerals and a hand-wound calibre with a "
       "50-hour reserve. Made for evenings out.",
       {{"MLV-OPERA37", "cream", "brown leather", "37 mm", 980000, 3}}},
      {"Maison Lévrier",
       "Carré 34",
       M::kManual,
       34,
       "yellow gold",
       30,
       "black leather",
       "Dress",
       "w04",
       "A square yellow-gold case with bevelled edges and a silvered dial: Art Deco, made now.",
       {{"MLV-CARRE34", "silver", "black leather", "34 mm", 760000, 4}}},
      {"Maison Lévrier",
       "Saumon 36",
       M::kAutomatic,
       36,
       "yellow gold",
       30,
       "gold mesh bracelet",
       "Dress",
       "w10",
       "A salmon dial, a fluted gold bezel and a woven gold bracelet. The last one of the year.",
       {{"MLV-SAUMON36", "salmon", "gold mesh bracelet", "36 mm", 1240000, 1}}},
      {"Maison Lévrier",
       "Élégance Quartz 34",
       M::kQuartz,
       34,
       "two-tone steel and gold",
       30,
       "two-tone bracelet",
       "Dress",
       "w10",
       "A small two-tone dress watch on a bracelet, with a quartz movement so it is always right "
       "when you reach for it.",
       {{"MLV-ELEG34", "champagne", "two-tone bracelet", "34 mm", 155000, 9}}},
      {"Maison Lévrier",
       "Régulateur 40",
       M::kAutomatic,
       40,
       "steel",
       50,
       "blue leather",
       "Dress",
       "w01",
       "A regulator dial, with hours, minutes and seconds each on its own axis, as in the "
       "workshop clocks watchmakers set their work by. Sold out.",
       {{"MLV-REGUL40", "navy", "blue leather", "40 mm", 430000, 0}}},
      {"Maison Lévrier",
       "Coussin 38",
       M::kAutomatic,
       38,
       "titanium",
       100,
       "tan suede",
       "Dress,Field",
       "w05",
       "A cushion-shaped titanium case with a green fumé dial on tan suede: a dress watch that "
       "does not mind the countryside.",
       {{"MLV-COUSSIN38", "green fumé", "tan suede", "38 mm", 365000, 5}}},

      // --- Northgate Instruments: field and tool ---
      {"Northgate Instruments",
       "Surveyor 41",
       M::kAutomatic,
       41,
       "steel",
       200,
       "olive canvas",
       "Field",
       "w11",
       "A tool watch for the outdoors with a compass bezel, a screw-down crown and numerals you "
       "can read at dusk.",
       {{"NGI-SURV41-KHK", "khaki", "olive canvas", "41 mm", 72500, 17},
        {"NGI-SURV41-BLK", "black", "black canvas", "41 mm", 72500, 6}}},
      {"Northgate Instruments",
       "Trailhead Kinetic 40",
       M::kKinetic,
       40,
       "titanium",
       100,
       "nylon strap",
       "Field",
       "w11",
       "Charged by every step of the trail, in a titanium case that you forget you are wearing.",
       {{"NGI-TRAIL40", "khaki", "olive nylon strap", "40 mm", 48000, 3}}},
      {"Northgate Instruments",
       "Compass Solar 44",
       M::kSolar,
       44,
       "titanium",
       200,
       "black rubber",
       "Field,Sport",
       "w08",
       "A large, light solar watch with a rotating compass bezel and orange hands for quick "
       "reading on the move.",
       {{"NGI-COMPASS44", "grey", "orange rubber", "44 mm", 39000, 21}}},
      {"Northgate Instruments",
       "Lighthouse 42",
       M::kManual,
       42,
       "bronze",
       100,
       "brown leather",
       "Field",
       "w05",
       "A bronze case that darkens into a patina of its own, and a hand-wound movement you see "
       "through the caseback.",
       {{"NGI-LIGHT42", "green", "brown leather", "42 mm", 129000, 6}}},
      {"Northgate Instruments",
       "Expedition GMT 42",
       M::kAutomatic,
       42,
       "steel",
       200,
       "steel bracelet",
       "GMT,Field",
       "w09",
       "A GMT with a 24-hour bezel and a bracelet with a glide-lock extension, made for long "
       "journeys with many borders.",
       {{"NGI-EXPGMT42", "black", "steel bracelet", "42 mm", 165000, 8}}},
      {"Northgate Instruments",
       "Night Ops 46",
       M::kQuartz,
       46,
       "black-coated steel",
       300,
       "orange rubber",
       "Dive,Field,Sport",
       "w08",
       "A black-coated 46 mm case, tritium-free lume and a quartz movement with a ten-year "
       "battery. Big, loud and tough.",
       {{"NGI-NIGHTOPS46", "grey", "orange rubber", "46 mm", 33000, 12}}},
      {"Northgate Instruments",
       "Pocket Field 34",
       M::kManual,
       34,
       "steel",
       50,
       "brown leather",
       "Field,Everyday",
       "w11",
       "A 34 mm hand-wound field watch in the proportions of the trench watches of a century ago. "
       "Sold out.",
       {{"NGI-PFIELD34", "khaki", "brown leather", "34 mm", 29500, 0}}},
  };
  return *kWatches;
}

// The attributes of issue 13, by model (every model above has one row).
struct DemoDetails {
  const char* model;
  const char* reference;
  const char* caliber;
  ComplicationSet complications;
  int32_t lug_mm;
  int32_t thickness_tenths;
  Crystal crystal;
  Condition condition;
  ConditionGrade grade;
  bool box;
  bool papers;
  int32_t limited_pieces;
};

using C = Complication;
// clang-format off
constexpr DemoDetails kDetails[] = {
      {"Reefline 42", "5513", "TW-A100", ComplicationBit(C::kDate), 21, 153, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Reefline 38", "TW1037", "TW-A111", ComplicationBit(C::kDate), 19, 120, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Fathom Pro 44", "TW1074", "TW-A122", ComplicationBit(C::kDate), 22, 157, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Shoal Quartz 40", "TW1111", "TW-Q133", ComplicationBit(C::kDate), 20, 89, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Abyssal Solar 43", "TW1148", "TW-E144", ComplicationBit(C::kDate), 21, 115, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Lagoon 36", "TW1185", "TW-A155", ComplicationBit(C::kDate), 18, 116, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Kinetic Drift 42", "TW1222", "TW-K166", ComplicationBit(C::kDate), 21, 123, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Type A Flieger", "KV1259", "KV-A170", 0, 22, 132, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Field Mk II", "KV1296", "KV-M181", 0, 19, 95, Crystal::kSapphire, Condition::kPreOwned, ConditionGrade::kGood, false, false, 0},
      {"Navigator GMT 41", "KV-1675", "KV-A102", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate), 20, 126, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Squadron Chronograph", "KV1370", "KV-A113", ComplicationBit(C::kChronograph), 21, 128, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Ranger Solar 40", "KV1407", "KV-E124", 0, 20, 109, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Airfield Quartz 39", "KV1444", "KV-Q135", 0, 19, 87, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Paddock Chronograph", "VQ1481", "VQ-M146", ComplicationBit(C::kChronograph), 20, 99, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Apex Automatic Chronograph", "VQ1518", "VQ-A150", ComplicationBit(C::kChronograph), 21, 128, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Monza Quartz Chrono", "VQ1555", "VQ-Q161", ComplicationBit(C::kChronograph), 20, 91, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Carbon Lap 45", "VQ1592", "VQ-A172", ComplicationBit(C::kChronograph), 22, 134, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 500},
      {"Rallye 38", "VQ1629", "VQ-M183", ComplicationBit(C::kChronograph), 19, 95, Crystal::kAcrylic, Condition::kPreOwned, ConditionGrade::kExcellent, true, false, 0},
      {"Grid Solar Chrono 43", "VQ1666", "VQ-E104", ComplicationBit(C::kChronograph), 21, 115, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Soirée 38", "AG1703", "AG-M115", 0, 19, 95, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Rectangle Classique", "AG1740", "AG-M126", 0, 17, 87, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Quantième Perpétuel 40", "AG1777", "AG-A130", ComplicationBit(C::kPerpetualCalendar) | ComplicationBit(C::kMoonphase) | ComplicationBit(C::kDate), 20, 124, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 50},
      {"Ultra-Plate 39", "AG1814", "AG-A141", 0, 19, 122, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Cannelé 36", "AG1851", "AG-A152", 0, 18, 116, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Phase de Lune 41", "AG1888", "AG-A163", ComplicationBit(C::kMoonphase) | ComplicationBit(C::kDate), 20, 126, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Petite Seconde 35", "AG1925", "AG-M174", 0, 17, 89, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Bauhaus 38", "WH1962", "WH-M185", 0, 19, 95, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Bauhaus Automatic", "WH1999", "WH-A106", 0, 20, 124, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Alpin Field 40", "WH2036", "WH-A110", 0, 20, 124, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Quarzwerk 36", "WH2073", "WH-Q121", 0, 18, 81, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Gipfel GMT 42", "WH2110", "WH-A132", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate), 21, 128, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Sonnenuhr Solar 39", "WH2147", "WH-E143", 0, 19, 107, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Tiefsee 43", "WH2184", "WH-A154", ComplicationBit(C::kDate), 21, 155, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Kiri Spring Drive 40", "SDK211", "S-SD165", ComplicationBit(C::kPowerReserve), 20, 139, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Hoshi GMT Spring Drive 44", "S2258", "S-SD176", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate) | ComplicationBit(C::kPowerReserve), 22, 147, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Umi Diver Spring Drive 45", "S2295", "S-SD180", ComplicationBit(C::kPowerReserve) | ComplicationBit(C::kDate), 22, 174, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Tsuki Solar 38", "S2332", "S-E101", 0, 19, 105, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Kaze Kinetic 41", "S2369", "S-K112", 0, 20, 121, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Mori Automatic 37", "S2406", "S-A123", 0, 18, 118, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Yoru Chronograph 42", "S2443", "S-E134", ComplicationBit(C::kChronograph), 21, 113, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Commuter 40", "HC2480", "HC-Q145", ComplicationBit(C::kDayDate), 20, 89, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Commuter 36", "HC2517", "HC-Q156", ComplicationBit(C::kDayDate), 18, 81, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Daybreak Solar 41", "HC2554", "HC-E160", 0, 20, 111, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Weekender 42", "HC2591", "HC-Q171", ComplicationBit(C::kDayDate), 21, 93, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Harbour Diver 40", "HC2628", "HC-A182", ComplicationBit(C::kDate), 20, 124, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Kinetic Classic 39", "HC2665", "HC-K103", 0, 19, 117, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Chrono Sport 43", "HC2702", "HC-Q114", ComplicationBit(C::kChronograph), 21, 95, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Meridian GMT 40", "CV2739", "CV-A125", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate), 20, 124, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Atlas Worldtimer 42", "CV2776", "CV-A136", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate) | ComplicationBit(C::kWorldTime), 21, 128, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Layover Quartz GMT 41", "CV2813", "CV-Q140", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate), 20, 91, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Transit Titanium GMT 39", "CV2850", "CV-A151", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate), 19, 122, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Octa Sport 41", "CV2887", "CV-A162", 0, 20, 126, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Nomad Solar GMT 43", "CV2924", "CV-E173", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate), 21, 115, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Opéra 37", "ML2961", "ML-M184", 0, 18, 93, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Carré 34", "ML2998", "ML-M105", 0, 17, 87, Crystal::kSapphire, Condition::kPreOwned, ConditionGrade::kVeryGood, false, true, 0},
      {"Saumon 36", "ML3035", "ML-A116", 0, 18, 116, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Élégance Quartz 34", "ML3072", "ML-Q120", 0, 17, 77, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Régulateur 40", "ML3109", "ML-A131", 0, 20, 124, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Coussin 38", "ML3146", "ML-A142", 0, 19, 120, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Surveyor 41", "NG3183", "NG-A153", 0, 20, 126, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Trailhead Kinetic 40", "NG3220", "NG-K164", 0, 20, 119, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Compass Solar 44", "NG3257", "NG-E175", 0, 22, 117, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Lighthouse 42", "NG3294", "NG-M186", 0, 21, 103, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 300},
      {"Expedition GMT 42", "NG-16570", "NG-A100", ComplicationBit(C::kGmt) | ComplicationBit(C::kDate), 21, 128, Crystal::kSapphire, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Night Ops 46", "NG3368", "NG-Q111", ComplicationBit(C::kDate), 23, 126, Crystal::kMineral, Condition::kNew, ConditionGrade::kNone, true, true, 0},
      {"Pocket Field 34", "NG3405", "NG-M122", 0, 17, 87, Crystal::kAcrylic, Condition::kPreOwned, ConditionGrade::kFair, false, false, 0},
};
// clang-format on

const DemoDetails* DetailsOf(absl::string_view model) {
  for (const DemoDetails& d : kDetails) {
    if (model == d.model) return &d;
  }
  return nullptr;
}

}  // namespace

std::vector<ProductDraft> DemoCatalog() {
  std::vector<ProductDraft> drafts;
  const Currency usd = *Currency::FromCode("USD");
  for (const DemoWatch& w : Watches()) {
    ProductDraft d;
    d.brand = w.brand;
    d.model = w.model;
    d.description = w.description;
    d.attributes.movement = w.movement;
    d.attributes.case_diameter_mm = w.case_mm;
    d.attributes.case_material = w.material;
    d.attributes.water_resistance_m = w.water_m;
    d.attributes.strap = w.strap;
    if (const DemoDetails* x = DetailsOf(w.model)) {
      d.attributes.reference = x->reference;
      d.attributes.caliber = x->caliber;
      d.attributes.complications = x->complications;
      d.attributes.lug_width_mm = x->lug_mm;
      d.attributes.case_thickness_tenths = x->thickness_tenths;
      d.attributes.crystal = x->crystal;
      d.attributes.condition = x->condition;
      d.attributes.grade = x->grade;
      d.attributes.box = x->box;
      d.attributes.papers = x->papers;
      d.attributes.limited_pieces = x->limited_pieces;
    }
    for (absl::string_view c : absl::StrSplit(w.collections, ',')) d.collections.emplace_back(c);
    d.images = {{absl::StrCat("/img/watches/", w.image, ".svg"),
                 absl::StrCat(w.brand, " ", w.model, " from the front"), 0},
                {"/img/watches/caseback.svg", absl::StrCat("The case back of the ", w.model), 0}};
    d.active = true;
    for (const DemoVariant& v : w.variants) {
      VariantDraft vd;
      vd.sku = v.sku;
      vd.dial_color = v.dial;
      vd.strap = v.strap;
      vd.size = v.size;
      vd.price = Money{v.price_cents, usd};
      vd.stock = v.stock;
      d.variants.push_back(std::move(vd));
    }
    drafts.push_back(std::move(d));
  }
  return drafts;
}

std::vector<CollectionInfo> DemoCollections() {
  const std::pair<const char*, const char*> described[] = {
      {"Chronograph",
       "Stopwatches for the wrist: pushers, sub-dials and tachymeter bezels, from racing "
       "classics to quartz chronographs that time an egg as well as a lap."},
      {"Dive",
       "Built for water: screw-down crowns, unidirectional bezels, lume you can read at depth "
       "and at least 200 m of water resistance."},
      {"Dress",
       "Thin cases, quiet dials and leather straps: watches that slide under a cuff and say "
       "the time without raising their voice."},
      {"Everyday",
       "The watch you put on without thinking: legible, sturdy, comfortable, and happy on a "
       "bracelet, canvas or leather."},
      {"Field",
       "Military-inspired tool watches: high-contrast Arabic numerals, matte cases and straps "
       "that shrug off mud."},
      {"GMT",
       "A second time zone at a glance: a 24-hour hand and bezel for travellers and anyone "
       "with family far away."},
      {"Pilot",
       "Large, legible dials and oversized crowns made for gloved hands, after the cockpit "
       "instruments they are named for."},
      {"Sport",
       "Robust and lively: bold dials, bracelets and bezels for weekends on the water, the "
       "track or the trail."},
  };
  std::vector<CollectionInfo> out;
  for (const auto& [name, description] : described) {
    out.push_back(CollectionInfo{CollectionSlug(name), name, description});
  }
  return out;
}

std::vector<ProductImage> DemoGallery(const Product& p) {
  std::vector<ProductImage> images = p.images;
  std::vector<std::string> dials;
  for (const Variant& v : p.variants) {
    if (std::find(dials.begin(), dials.end(), v.dial_color) == dials.end()) {
      dials.push_back(v.dial_color);
    }
  }
  if (dials.size() < 2) return images;  // one dial: the watch's own pictures show it
  for (const Variant& v : p.variants) {
    const std::string url = DialPicture(v.dial_color);
    if (url.empty()) continue;
    images.push_back(
        ProductImage{url, absl::StrCat("The ", v.dial_color, " dial of the ", p.model), v.id});
  }
  return images;
}

absl::StatusOr<SeedResult> SeedDemoCatalog(Store& store, bool force) {
  // The seeding tool acts as staff; the principal is not stored anywhere.
  Principal seeder;
  seeder.user_id = -1;
  seeder.role = Role::kAdmin;
  seeder.email = "seed-demo";

  SeedResult result;
  if (!force) {
    ProductQuery any;
    any.include_archived = true;
    any.limit = 1;
    WS_ASSIGN_OR_RETURN(ProductListing existing, store.catalog().ListProducts(any, "", &seeder));
    if (!existing.items.empty()) {
      result.skipped = true;
      return result;
    }
  }
  for (const ProductDraft& d : DemoCatalog()) {
    auto created = store.catalog().CreateProduct(seeder, d);
    if (!created.ok()) {
      if (absl::IsAlreadyExists(created.status())) {
        ++result.existing;
        continue;
      }
      return created.status();
    }
    // A variant has an id only once created: link the dial pictures now.
    std::vector<ProductImage> gallery = DemoGallery(**created);
    if (gallery.size() > (*created)->images.size()) {
      ProductDraft linked = d;
      for (VariantDraft& v : linked.variants) {
        const Variant* made = (*created)->FindVariantBySku(v.sku);
        if (made == nullptr) return absl::InternalError("a created variant went missing");
        v.id = made->id;
      }
      linked.images = std::move(gallery);
      WS_RETURN_IF_ERROR(store.catalog()
                             .UpdateProduct(seeder, (*created)->id, (*created)->version, linked)
                             .status());
    }
    ++result.added;
  }
  for (const CollectionInfo& c : DemoCollections()) {
    WS_RETURN_IF_ERROR(
        store.catalog().PutCollection(seeder, c.slug, c.name, c.description).status());
  }
  return result;
}

}  // namespace watchstore::http
