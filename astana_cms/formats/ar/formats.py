# Arabic dates as the newsroom writes them: "20 يونيو 2023", no comma before the year (Django's
# Arabic default writes "20 يونيو، 2023", which no Arabic outlet does).
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j/n/Y"
DATETIME_FORMAT = "j F Y، H:i"
SHORT_DATETIME_FORMAT = "j/n/Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
