"""What an import can say is wrong, as English msgids: the handler translates them
(``_(message_id).format(**params)``) for the coordinator."""

from bot.i18n import N_

# Messages for the coordinator (rendered in Dutch by the handler).
MSG_UNKNOWN_FILE_TYPE = N_("Send a .csv, .xlsx or .ics file.")
MSG_EMPTY_FILE = N_("The file is empty.")
MSG_NOT_UTF8 = N_("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8”.")
MSG_NOT_XLSX = N_("The file is not an Excel workbook (.xlsx).")
MSG_NOT_ICS = N_("The file is not a calendar file (.ics).")
MSG_NO_ACTIVITIES = N_("The file holds no activities.")
MSG_ALL_EVENTS_OVER = N_("Every event in this calendar was over before this school year.")
MSG_MISSING_COLUMN = N_("The column “{column}” is missing.")
MSG_DUPLICATE_COLUMN = N_("The column “{column}” appears twice.")
MSG_REQUIRED = N_("This value is required.")
MSG_TOO_LONG = N_("Too long: at most {max} characters.")
MSG_DUPLICATE_ID = N_("The id “{value}” is already used in row {row}.")
MSG_UNKNOWN_KIND = N_(
    "Unknown kind “{value}”. Use ouderbabbel, workshop, open activiteit, "
    "vakantieactiviteit or andere."
)
MSG_UNKNOWN_SCHOOL = N_("Unknown school code “{value}”.")
MSG_EXTRA_CELLS = N_("This row has more cells than there are columns. Put a value that holds "
                     "a comma or a semicolon between double quotes: \"like; this\".")
MSG_UNKNOWN_CATEGORY = N_("“{value}” looks like a school code, but no school has it. Fix it "
                         "or remove it: else the activity would reach every school.")
MSG_BAD_DATE = N_("“{value}” is not a date. Write it as 2026-10-21 or 21/10/2026.")
MSG_BAD_TIME = N_("“{value}” is not a time. Write it as 14:00.")
MSG_END_NOT_AFTER_START = N_("The end is not after the start.")
MSG_CLOCKS_SKIP = N_("{value} does not exist on this day: the clocks go forward from 2:00 "
                     "to 3:00. Choose another time.")
MSG_BAD_RRULE = N_(
    "“{value}” is not a repeat rule. Example: FREQ=WEEKLY;BYDAY=WE;UNTIL=20270630"
)
MSG_RRULE_NO_DATES = N_("The repeat rule gives no date on or after the start.")
MSG_EXCEL_ERROR = N_("“{value}” is the error of a formula. Fix the formula, or type the value "
                     "itself.")
MSG_BAD_NUMBER = N_("“{value}” is not a number.")
MSG_LATITUDE_RANGE = N_("The latitude must be between -90 and 90.")
MSG_LONGITUDE_RANGE = N_("The longitude must be between -180 and 180.")
MSG_LAT_LON_PAIR = N_("Give both lat and lon, or neither.")
MSG_NOT_AN_OCCURRENCE = N_("The activity does not take place on {value}.")
MSG_YEAR_RANGE = N_("“{value}”: the year must be between {first} and {last}.")
MSG_BAD_CALENDAR_VALUE = N_("“{value}” is not a valid date, time or duration.")
MSG_BAD_EVENT = N_("This event cannot be read. Export the calendar again, or use the "
                   "spreadsheet.")
