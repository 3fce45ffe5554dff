"""Salary (lön): employees, their salary, absence and attendance transactions, expense codes,
schedule times and the vacation debt basis. Transactions belong to an employee who must
exist; cause codes are the spec's lists."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, g, request

from mockfortnox.errors import ApiError
from mockfortnox.resources.common import crud_routes, json_response, read_body
from mockfortnox.resources.family import Family
from mockfortnox.state import Tenant

EMPLOYEE_FIELDS = """
    ATFValue:n ATKValue:n AbsenceHoursNonVacationBased:n AbsenceHoursVacationBased:n
    AbsenceWorkdaysNonVacationBased:n AbsenceWorkdaysVacationBased:n Address1 Address2
    AutoNonRecurringTax:b AverageHourlyWage AverageWeeklyHours BankAccountNo City ClearingNo
    CostCenter Country CurrentCompBalance:n CurrentFlexBalance:n DatedSalarySupplements:[]
    DatedSchedules:[] DatedWages:[] Email EmployedTo:d !EmployeeCategories:[]
    EmployeeChildren:[] EmployeeId EmploymentDate:d EmploymentForm=TV FirstName ForaType=A !FullName
    FullTimeEquivalent:n HourlyPay Inactive:b IngoingSickLeave:[] IngoingUsedHolidaySupplement:n
    IngoingUsedVacationDays:n InitialComp:n InitialFlex:n JobTitle LastName MonthlySalary
    NonRecurringTax NonVacationBasedCalendarDaysPartial:n NonVacationBasedCalendarDaysWhole:n
    OpeningSalaries:[] PayslipType=pdf PersonalIdentityNumber PersonelType=TJM Phone1 Phone2 PostCode
    PreliminaryTaxDeducted:n Project SalaryForm=MAN ScheduleId TaxAllowance=HUV TaxColumn:i=1 TaxTable
    VacationBasedAttendanceDays:n VacationBasedAttendanceHours:n
    VacationBasedCalendarDaysWhole:n VacationBasedSalaryTotal:n
    VacationBasedSalaryVariableAddition:n VacationBasedSalaryWorkedTime:n
    VacationCalculationAdvanceVacationDebt:n VacationCalculationIncludeInCalculation:b
    VacationCalculationSameWagePercent:b VacationCalculationSoleCustody:b
    VacationCalculationSumOnlyNoDays:b VacationCalculationTotalVacationSalarySum:n
    VacationCalculationVacationEntitlement:n VacationCalculationVariableAdditionSum:n
    VacationDaysPaid:n VacationDaysPendingPaid:n VacationDaysPendingPrepaid:n
    VacationDaysPendingSaved:n VacationDaysPendingSavedYear1:n VacationDaysPendingSavedYear2:n
    VacationDaysPendingSavedYear3:n VacationDaysPendingSavedYear4:n
    VacationDaysPendingSavedYear5:n VacationDaysPendingSavedYear6Plus:n
    VacationDaysPendingUnpaid:n VacationDaysPrepaid:n VacationDaysRegisteredPaid:n
    VacationDaysRegisteredPrepaid:n VacationDaysRegisteredSaved:n
    VacationDaysRegisteredSavedYear1:n VacationDaysRegisteredSavedYear2:n
    VacationDaysRegisteredSavedYear3:n VacationDaysRegisteredSavedYear4:n
    VacationDaysRegisteredSavedYear5:n VacationDaysRegisteredSavedYear6Plus:n
    VacationDaysRegisteredUnpaid:n VacationDaysSaved:n VacationDaysSavedEmploymentRateYear1:n
    VacationDaysSavedEmploymentRateYear2:n VacationDaysSavedEmploymentRateYear3:n
    VacationDaysSavedEmploymentRateYear4:n VacationDaysSavedEmploymentRateYear5:n
    VacationDaysSavedEmploymentRateYear6Plus:n VacationDaysSavedYear1:n VacationDaysSavedYear2:n
    VacationDaysSavedYear3:n VacationDaysSavedYear4:n VacationDaysSavedYear5:n
    VacationDaysSavedYear6Plus:n VacationDaysUnpaid:n WorkingTimeEnumeration
"""


class Employees(Family):
    name, singular, plural = "employees", "Employee", "Employees"
    key = "EmployeeId"
    scope = "salary"
    not_found = "employee_not_found"
    created_status = 200  # spec
    fields = EMPLOYEE_FIELDS
    required = ("FirstName", "LastName", "Email")
    choices = {
        "EmploymentForm": ("TV", "PRO", "TID", "SVT", "VIK", "PRJ", "PRA", "FER", "SES", "NEJ"),
        "PayslipType": ("pdf", "digital", "kivra"),
        "PersonelType": ("TJM", "ARB"),
        "SalaryForm": ("MAN", "TIM"),
        "TaxAllowance": ("HUV", "EXT", "TMP", "STU", "EJ", "???"),
    }
    list_fields = (
        "EmployeeId",
        "PersonalIdentityNumber",
        "FirstName",
        "LastName",
        "FullName",
        "Email",
        "Inactive",
    )

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if len(str(record["EmployeeId"])) > 15:
            raise ApiError("invalid_value", field="EmployeeId", value=record["EmployeeId"])
        record["FullName"] = f"{record['FirstName']} {record['LastName']}".strip()


class EmployeeTransaction(Family):
    """A row on an employee's salary: the employee must exist."""

    scope = "salary"
    deletable = True
    created_status = deleted_status = 200  # spec
    references = {"EmployeeId": "employees"}
    date_field = "Date"

    def new_key(self, tenant: Tenant, body: dict) -> str:
        if self.key == "id":  # absence and attendance rows are known by a uuid (spec)
            return str(uuid.uuid4())
        return super().new_key(tenant, body)

    def query(self, tenant: Tenant, args: dict[str, str]) -> list[dict]:
        rows = super().query(tenant, args)
        if "employeeid" in args:
            rows = [r for r in rows if r["EmployeeId"] == args["employeeid"]]
        if "date" in args:
            rows = [r for r in rows if r["Date"] == args["date"]]
        return rows


class SalaryTransactions(EmployeeTransaction):
    name, singular, plural = "salarytransactions", "SalaryTransaction", "SalaryTransactions"
    key = "SalaryRow"
    not_found = "salarytransaction_not_found"
    fields = (
        "Amount CostCenter Date:d EmployeeId Expense Number Project SalaryCode !SalaryRow:i TextRow Total VAT"
    )
    required = ("EmployeeId", "SalaryCode", "Date")


class AbsenceTransactions(EmployeeTransaction):
    name, singular, plural = "absencetransactions", "AbsenceTransaction", "AbsenceTransactions"
    key = "id"
    not_found = "absencetransaction_not_found"
    fields = "CauseCode CostCenter Date:d EmployeeId Extent:n HolidayEntitling:b Hours:n Project !id"
    required = ("EmployeeId", "CauseCode", "Date")
    choices = {"CauseCode": ("ASK", "FPE", "FRA", "HAV", "KOM", "MIL", "NAR", "OS1", "OS2", "OS3", "OS4",
                             "OS5", "PAP", "PEM", "PER", "SEM", "SJK", "SMB", "SVE", "TJL", "UTB", "VAB")}  # fmt: skip


class AttendanceTransactions(EmployeeTransaction):
    name, singular, plural = "attendancetransactions", "AttendanceTransaction", "AttendanceTransactions"
    key = "id"
    not_found = "attendancetransaction_not_found"
    fields = "CauseCode CostCenter Date:d EmployeeId Hours Project !id"
    required = ("EmployeeId", "CauseCode", "Date")
    choices = {"CauseCode": ("ARB", "BE2", "BER", "FLX", "HLG", "JO2", "JOR", "MER", "OB1", "OB2", "OB3", "OB4",
                             "OB5", "OK0", "OK1", "OK2", "OK3", "OK4", "OK5", "OT1", "OT2", "OT3", "OT4", "OT5",
                             "RES", "TID")}  # fmt: skip


class Expenses(Family):
    name, singular, plural = "expenses", "Expense", "Expenses"
    key = "Code"
    scope = "salary"
    not_found = "expense_not_found"
    created_status = 200  # spec
    fields = "Account:i Code Text"
    required = ("Code", "Text", "Account")

    def new_key(self, tenant: Tenant, body: dict) -> str:
        raise ApiError("required_field", field="Code")

    def rules(self, tenant: Tenant, record: dict, *, creating: bool) -> None:
        if not any(k.partition(":")[2] == str(record["Account"]) for k in tenant.table("accounts")):
            raise ApiError("reference_missing", field="Account", value=record["Account"])


employees = Employees()
salarytransactions = SalaryTransactions()
absencetransactions = AbsenceTransactions()
attendancetransactions = AttendanceTransactions()
expenses = Expenses()
FAMILIES = (employees, salarytransactions, absencetransactions, attendancetransactions, expenses)

extra_bp = Blueprint("salary_extra", __name__)
extra_bp.scope = "salary"


def _by_day(resource: EmployeeTransaction):
    def handler(key: str, day: str, code: str):
        """An employee's transactions of one day and cause code (the spec's path: id/Date/Code)."""
        rows = [r for r in resource.query(g.tenant, {}) if r["EmployeeId"] == key and r["Date"] == day
                and r["CauseCode"] == code]  # fmt: skip
        return json_response({resource.plural: [resource.single(r) for r in rows]})

    extra_bp.add_url_rule(f"/3/{resource.name}/<key>/<day>/<code>", f"{resource.name}_by_day", handler)


_by_day(absencetransactions)
_by_day(attendancetransactions)

SCHEDULE_FIELDS = ("Hours", "IWH1", "IWH2", "IWH3", "IWH4", "IWH5", "ScheduleId")


def _schedule(tenant: Tenant, employee_id: str, day: str) -> dict:
    employee = employees.get(tenant, employee_id)
    try:
        weekday = date.fromisoformat(day).weekday()
    except ValueError:
        raise ApiError("invalid_value", field="Date", value=day) from None
    stored = tenant.table("scheduletimes").get(f"{employee_id}|{day}")
    if stored is not None:
        return stored
    hours = "0" if weekday >= 5 else "8"  # the schedule Fortnox starts a full-time employee on
    return {"Date": day, "EmployeeId": employee_id, "Hours": hours, "IWH1": "0", "IWH2": "0", "IWH3": "0",
            "IWH4": "0", "IWH5": "0", "ScheduleId": employee.get("ScheduleId") or "HEL"}  # fmt: skip


@extra_bp.route("/3/scheduletimes/<employee_id>/<day>", methods=["GET", "PUT"])
def schedule_time(employee_id: str, day: str):
    record = _schedule(g.tenant, employee_id, day)
    if request.method == "PUT":
        body = read_body("ScheduleTime")
        unknown = set(body) - set(SCHEDULE_FIELDS) - {"Date", "EmployeeId"}
        if unknown:
            raise ApiError("unknown_field", field=sorted(unknown)[0])
        record = {**record, **{k: str(v) for k, v in body.items() if k in SCHEDULE_FIELDS}}
        g.tenant.put("scheduletimes", f"{employee_id}|{day}", record)
    return json_response({"ScheduleTime": record})


@extra_bp.put("/3/scheduletimes/<employee_id>/<day>/resetday")
def schedule_reset(employee_id: str, day: str):
    """Back to the employee's schedule for that day."""
    employees.get(g.tenant, employee_id)
    g.tenant.remove("scheduletimes", f"{employee_id}|{day}")
    return json_response({"ScheduleTime": _schedule(g.tenant, employee_id, day)})


@extra_bp.get("/3/vacationdebtbasis/<int:year>/<int:month>")
def vacation_debt_basis(year: int, month: int):
    """The basis for the vacation debt at a month's end: one row per employee (amounts are
    not computed; a mock has no salary runs)."""
    if not 1 <= month <= 12:
        raise ApiError("invalid_parameter")
    last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    rows = [
        {"EmployeeId": e["EmployeeId"], "EmployeeName": e["FullName"], **dict.fromkeys(
            ("DaysEarned", "DaysSaved", "DaysUnused", "DebtAdvance", "DebtEarned", "DebtSaved", "DebtUnused",
             "TotalDebtEmployee", "TotalDebtEmployerContribution", "VariableEarned", "VariableUnused",
             "WageEarned", "WageSaved", "WageUnused"), 0)}
        for e in employees.query(g.tenant, {}) if not e["Inactive"]
    ]  # fmt: skip
    return json_response({"VacationDebtBasis": {"Employees": rows, "LastDay": date.fromordinal(last).isoformat(),
                                                "Month": month, "Year": year, "VoucherNumber": 0,
                                                "VoucherSeries": "", "VoucherYear": 0}})  # fmt: skip


BLUEPRINTS = (
    extra_bp,
    crud_routes(employees),
    crud_routes(salarytransactions),
    crud_routes(absencetransactions),
    crud_routes(attendancetransactions),
    crud_routes(expenses, update=False),
)
