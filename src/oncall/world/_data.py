"""Published Olist figures the generator reproduces (olist/FACTS.md), as plain constants.

Counts are the full-scale (Kaggle v2) numbers; the generator scales them. Where FACTS.md gives only a
total, the split below is a plausible one that sums to that total (noted next to each constant).
"""

from __future__ import annotations

# -- row counts at scale 1.0 ----------------------------------------------------------------------
ORDERS = 99_441
ITEMS = 112_650
PAYMENTS = 103_886
REVIEWS = 99_224
PRODUCTS = 32_951
SELLERS = 3_095
GEOLOCATION = 1_000_163
GEO_ZIPS = 19_015
GEO_OUTSIDE_BRAZIL = 42

# -- structural gaps -----------------------------------------------------------------------------
ORDERS_WITHOUT_ITEMS = 775
ORDERS_WITHOUT_PAYMENT = 1
ORDERS_WITHOUT_REVIEW = 768
ORDERS_WITH_MANY_REVIEWS = 547
DISTINCT_REVIEW_IDS = 98_410
SHARED_REVIEW_IDS = 789
MULTI_PAYMENT_ORDERS = 2_961  # not in FACTS.md; any split of the 4,446 extra payment rows works
MAX_PAYMENT_SEQUENTIAL = 29
BLANK_CATEGORY_PRODUCTS = 610
PRODUCTS_WITHOUT_SIZE = 2
ZERO_WEIGHT_PRODUCTS = 4  # all in cama_mesa_banho
ZERO_VALUE_PAYMENTS = 9  # voucher or not_defined

PURCHASES_PER_PERSON: dict[int, int] = {1: 93_099, 2: 2_745, 3: 203, 4: 30, 5: 8, 6: 6, 7: 3, 9: 1, 17: 1}

# Orders with exactly k items, derived from the order_item_id table (rows with id k = orders with >= k).
ORDER_ITEM_ROWS: dict[int, int] = {
    1: 98_666, 2: 9_803, 3: 2_287, 4: 965, 5: 460, 6: 256, 7: 58, 8: 36, 9: 28, 10: 25, 11: 17,
    12: 13, 13: 8, 14: 7, 15: 5, 16: 3, 17: 3, 18: 3, 19: 3, 20: 3, 21: 1,
}  # fmt: skip

ORDER_STATUS: dict[str, int] = {
    "delivered": 96_478, "shipped": 1_107, "canceled": 625, "unavailable": 609,
    "invoiced": 314, "processing": 301, "created": 5, "approved": 2,
}  # fmt: skip

# NULL timestamps per status (totals 160 / 1,783 / 2,965 as in FACTS.md; the delivered-date split is
# the documented one, the other two are a split that sums to the documented totals).
NULL_APPROVED: dict[str, int] = {"delivered": 14, "canceled": 141, "created": 5}
NULL_CARRIER: dict[str, int] = {
    "delivered": 2, "canceled": 550, "unavailable": 609, "invoiced": 314, "processing": 301,
    "created": 5, "approved": 2,
}  # fmt: skip
NULL_DELIVERED: dict[str, int] = {
    "delivered": 8, "canceled": 619, "shipped": 1_107, "unavailable": 609, "invoiced": 314,
    "processing": 301, "created": 5, "approved": 2,
}  # fmt: skip
# Statuses whose orders most often have no items (the 775 are drawn from these first).
ITEMLESS_STATUSES = ("unavailable", "canceled", "created")

FIRST_PURCHASE = "2016-09-04 21:15:19"
LAST_PURCHASE = "2018-10-17 17:30:18"
ORDERS_PER_MONTH: dict[str, int] = {
    "2016-09": 4, "2016-10": 324, "2016-12": 1,
    "2017-01": 800, "2017-02": 1_780, "2017-03": 2_682, "2017-04": 2_404, "2017-05": 3_700,
    "2017-06": 3_245, "2017-07": 4_026, "2017-08": 4_331, "2017-09": 4_285, "2017-10": 4_631,
    "2017-11": 7_544, "2017-12": 5_673,
    "2018-01": 7_269, "2018-02": 6_728, "2018-03": 7_211, "2018-04": 6_939, "2018-05": 6_873,
    "2018-06": 6_167, "2018-07": 6_292, "2018-08": 6_512, "2018-09": 16, "2018-10": 4,
}  # fmt: skip

PAYMENT_TYPES: dict[str, int] = {
    "credit_card": 76_795, "boleto": 19_784, "voucher": 5_775, "debit_card": 1_529, "not_defined": 3,
}  # fmt: skip
INSTALLMENTS: dict[int, int] = {
    1: 52_546, 2: 12_413, 3: 10_461, 4: 7_098, 10: 5_328, 5: 5_239, 8: 4_268, 6: 3_920, 7: 1_626,
    9: 644, 12: 133, 15: 74, 18: 27, 11: 23, 24: 18, 20: 17, 13: 16, 14: 15, 17: 8, 16: 5, 21: 3,
    0: 2, 22: 1, 23: 1,
}  # fmt: skip

REVIEW_SCORES: dict[int, int] = {5: 57_328, 4: 19_142, 1: 11_424, 3: 8_179, 2: 3_151}
NULL_REVIEW_TITLES = 87_656
NULL_REVIEW_MESSAGES = 58_247

# -- categories ------------------------------------------------------------------------------------
# The 71 translated categories (Portuguese -> English, as in the Kaggle translation file).
TRANSLATIONS: tuple[tuple[str, str], ...] = (
    ("cama_mesa_banho", "bed_bath_table"),
    ("esporte_lazer", "sports_leisure"),
    ("moveis_decoracao", "furniture_decor"),
    ("beleza_saude", "health_beauty"),
    ("utilidades_domesticas", "housewares"),
    ("automotivo", "auto"),
    ("informatica_acessorios", "computers_accessories"),
    ("brinquedos", "toys"),
    ("relogios_presentes", "watches_gifts"),
    ("telefonia", "telephony"),
    ("bebes", "baby"),
    ("perfumaria", "perfumery"),
    ("papelaria", "stationery"),
    ("fashion_bolsas_e_acessorios", "fashion_bags_accessories"),
    ("cool_stuff", "cool_stuff"),
    ("ferramentas_jardim", "garden_tools"),
    ("pet_shop", "pet_shop"),
    ("eletronicos", "electronics"),
    ("construcao_ferramentas_construcao", "construction_tools_construction"),
    ("eletroportateis", "small_appliances"),
    ("malas_acessorios", "luggage_accessories"),
    ("consoles_games", "consoles_games"),
    ("moveis_escritorio", "office_furniture"),
    ("instrumentos_musicais", "musical_instruments"),
    ("casa_construcao", "home_construction"),
    ("livros_interesse_geral", "books_general_interest"),
    ("alimentos", "food"),
    ("moveis_sala", "furniture_living_room"),
    ("casa_conforto", "home_confort"),
    ("bebidas", "drinks"),
    ("audio", "audio"),
    ("market_place", "market_place"),
    ("construcao_ferramentas_iluminacao", "construction_tools_lights"),
    ("climatizacao", "air_conditioning"),
    ("moveis_cozinha_area_de_servico_jantar_e_jardim", "kitchen_dining_laundry_garden_furniture"),
    ("alimentos_bebidas", "food_drink"),
    ("industria_comercio_e_negocios", "industry_commerce_and_business"),
    ("livros_tecnicos", "books_technical"),
    ("telefonia_fixa", "fixed_telephony"),
    ("fashion_calcados", "fashion_shoes"),
    ("eletrodomesticos", "home_appliances"),
    ("construcao_ferramentas_jardim", "costruction_tools_garden"),
    ("agro_industria_e_comercio", "agro_industry_and_commerce"),
    ("artes", "art"),
    ("fashion_roupa_masculina", "fashion_male_clothing"),
    ("construcao_ferramentas_seguranca", "construction_tools_safety"),
    ("artigos_de_natal", "christmas_supplies"),
    ("sinalizacao_e_seguranca", "signaling_and_security"),
    ("livros_importados", "books_imported"),
    ("fashion_underwear_e_moda_praia", "fashion_underwear_beach"),
    ("artigos_de_festas", "party_supplies"),
    ("moveis_quarto", "furniture_bedroom"),
    ("construcao_ferramentas_ferramentas", "costruction_tools_tools"),
    ("eletrodomesticos_2", "home_appliances_2"),
    ("tablets_impressao_imagem", "tablets_printing_image"),
    ("fashion_roupa_feminina", "fashio_female_clothing"),
    ("moveis_colchao_e_estofado", "furniture_mattress_and_upholstery"),
    ("pcs", "computers"),
    ("portateis_casa_forno_e_cafe", "small_appliances_home_oven_and_coffee"),
    ("dvds_blu_ray", "dvds_blu_ray"),
    ("cine_foto", "cine_photo"),
    ("musica", "music"),
    ("fashion_esporte", "fashion_sport"),
    ("flores", "flowers"),
    ("casa_conforto_2", "home_comfort_2"),
    ("artes_e_artesanato", "arts_and_craftmanship"),
    ("la_cuisine", "la_cuisine"),
    ("fraldas_higiene", "diapers_and_hygiene"),
    ("cds_dvds_musicais", "cds_dvds_musicals"),
    ("fashion_roupa_infanto_juvenil", "fashion_childrens_clothes"),
    ("seguros_e_servicos", "security_and_services"),
)
UNTRANSLATED: dict[str, int] = {"pc_gamer": 3, "portateis_cozinha_e_preparadores_de_alimentos": 10}
TOP_CATEGORIES: dict[str, int] = {
    "cama_mesa_banho": 3_029, "esporte_lazer": 2_867, "moveis_decoracao": 2_657, "beleza_saude": 2_444,
    "utilidades_domesticas": 2_335, "automotivo": 1_900, "informatica_acessorios": 1_639,
    "brinquedos": 1_411, "relogios_presentes": 1_329, "telefonia": 1_134,
}  # fmt: skip
ZERO_WEIGHT_CATEGORY = "cama_mesa_banho"

# -- geography -------------------------------------------------------------------------------------
# state: (customers, sellers, zip range(s), centre lat, centre lng, cities with the capital first)
STATES: dict[str, tuple[int, int, tuple[tuple[int, int], ...], float, float, tuple[str, ...]]] = {
    "SP": (41_746, 1_849, ((1000, 19999),), -23.0, -47.5,
           ("sao paulo", "campinas", "guarulhos", "santo andre", "sao bernardo do campo", "osasco",
            "ribeirao preto", "sorocaba", "santos", "sao jose dos campos", "barueri", "jundiai")),
    "RJ": (12_852, 171, ((20000, 28999),), -22.6, -43.2,
           ("rio de janeiro", "niteroi", "nova iguacu", "sao goncalo", "duque de caxias", "petropolis")),
    "MG": (11_635, 244, ((30000, 39999),), -19.5, -44.5,
           ("belo horizonte", "juiz de fora", "contagem", "uberlandia", "betim", "divinopolis")),
    "RS": (5_466, 129, ((90000, 99999),), -29.8, -51.7,
           ("porto alegre", "caxias do sul", "canoas", "pelotas", "santa maria")),
    "PR": (5_045, 349, ((80000, 87999),), -25.0, -51.0,
           ("curitiba", "londrina", "maringa", "ponta grossa", "cascavel", "sao jose dos pinhais")),
    "SC": (3_637, 190, ((88000, 89999),), -27.2, -49.6,
           ("florianopolis", "joinville", "blumenau", "sao jose", "itajai", "criciuma")),
    "BA": (3_380, 19, ((40000, 48999),), -12.8, -39.5,
           ("salvador", "feira de santana", "vitoria da conquista", "lauro de freitas")),
    "DF": (2_140, 30, ((70000, 72799), (73000, 73699)), -15.8, -47.9, ("brasilia", "taguatinga", "gama")),
    "ES": (2_033, 23, ((29000, 29999),), -20.3, -40.5, ("vitoria", "vila velha", "serra", "cariacica")),
    "GO": (2_020, 40, ((72800, 72999), (73700, 76799)), -16.6, -49.3,
           ("goiania", "anapolis", "aparecida de goiania", "rio verde")),
    "PE": (1_652, 9, ((50000, 56999),), -8.1, -35.5, ("recife", "jaboatao dos guararapes", "olinda")),
    "CE": (1_336, 13, ((60000, 63999),), -3.8, -38.6, ("fortaleza", "juazeiro do norte", "caucaia")),
    "PA": (975, 1, ((66000, 68899),), -1.5, -48.5, ("belem", "ananindeua", "santarem")),
    "MT": (907, 4, ((78000, 78899),), -15.6, -56.1, ("cuiaba", "varzea grande", "rondonopolis")),
    "MA": (747, 1, ((65000, 65999),), -2.6, -44.3, ("sao luis", "imperatriz")),
    "MS": (715, 5, ((79000, 79999),), -20.5, -54.6, ("campo grande", "dourados")),
    "PB": (536, 6, ((58000, 58999),), -7.1, -34.9, ("joao pessoa", "campina grande")),
    "PI": (495, 1, ((64000, 64999),), -5.1, -42.8, ("teresina", "parnaiba")),
    "RN": (485, 5, ((59000, 59999),), -5.8, -35.2, ("natal", "mossoro")),
    "AL": (413, 0, ((57000, 57999),), -9.6, -35.7, ("maceio", "arapiraca")),
    "SE": (350, 2, ((49000, 49999),), -10.9, -37.1, ("aracaju", "nossa senhora do socorro")),
    "TO": (280, 0, ((77000, 77999),), -10.2, -48.3, ("palmas", "araguaina")),
    "RO": (253, 2, ((76800, 76999),), -8.8, -63.9, ("porto velho", "ji-parana")),
    "AM": (148, 1, ((69000, 69299), (69400, 69899)), -3.1, -60.0, ("manaus", "parintins")),
    "AC": (81, 1, ((69900, 69999),), -9.97, -67.8, ("rio branco", "cruzeiro do sul")),
    "AP": (68, 0, ((68900, 68999),), 0.03, -51.1, ("macapa", "santana")),
    "RR": (46, 0, ((69300, 69399),), 2.8, -60.7, ("boa vista",)),
}  # fmt: skip

REVIEW_TITLES = (
    "recomendo", "Recomendo", "Muito bom", "Excelente", "otimo", "Ótimo produto", "Super recomendo",
    "Bom", "Chegou antes do prazo", "Não recebi", "Produto com defeito", "Ruim", "Nota 10", "top",
)  # fmt: skip
REVIEW_MESSAGES = (
    "Produto chegou antes do prazo e muito bem embalado.",
    "Recebi bem antes do prazo estipulado.",
    "Parabéns lojas lannister adorei comprar pela Internet seguro e prático",
    "Ainda não recebi o produto.",
    "O produto não é o que eu esperava.\r\nVeio com defeito e quero a troca.",
    "Muito bom, recomendo.",
    "Entrega rápida.\nProduto de ótima qualidade!",
    "Comprei dois e veio apenas um.",
    "Gostei muito, chegou direitinho.",
    "Péssimo atendimento, não recomendo.",
)
