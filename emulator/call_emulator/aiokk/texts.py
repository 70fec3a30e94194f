"""Word and sentence pools for synthetic aiokk dialogs.

The real export mixes Russian names and titles with AI-written text that is sometimes English with
Russian quotes (see the vendor's example). Taps must carry such text unchanged, so the synthetic
data uses the same mix, including Kazakh names and multi-word signal phrases.
"""

# ruff: noqa: RUF001  (Cyrillic letters are intended here, not Latin look-alikes)

from __future__ import annotations

DEPARTMENT_NAMES = (
    "Отдел продаж",
    "Служба поддержки",
    "Отдел возврата",
    "Колл-центр",
    "Отдел по работе с ключевыми клиентами",
    "Отдел доставки",
    "Технический отдел",
    "Бухгалтерия",
)

SURNAMES = (
    "Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Васильев", "Соколов",
    "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов",
    "Егоров", "Павлов", "Козлов", "Степанов", "Орлов", "Макаров", "Никитин", "Захаров",
    "Ахметов", "Жумабаев", "Сериков", "Касымов", "Абдрахманов", "Нурланов",
)  # fmt: skip
FEMALE_SURNAME_SUFFIX = "а"
MALE_NAMES = (
    "Иван", "Алексей", "Дмитрий", "Сергей", "Андрей", "Максим", "Арман", "Ержан", "Нурлан",
    "Павел", "Артём", "Тимур",
)  # fmt: skip
FEMALE_NAMES = (
    "Мария", "Анна", "Елена", "Ольга", "Наталья", "Айгерим", "Динара", "Светлана", "Татьяна",
    "Екатерина", "Жанна", "Асель",
)  # fmt: skip
PATRONYMICS = (
    ("Иванович", "Ивановна"),
    ("Петрович", "Петровна"),
    ("Сергеевич", "Сергеевна"),
    ("Александрович", "Александровна"),
    ("Николаевич", "Николаевна"),
    ("Викторович", "Викторовна"),
    ("Андреевич", "Андреевна"),
    ("Михайлович", "Михайловна"),
    ("Владимирович", "Владимировна"),
)

PHONE_CODES = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")

CRITERION_TOPICS = (
    ("Приветствие и представление", "Greeting"),
    ("Выявление потребностей", "Needs discovery"),
    ("Активное слушание", "Active listening"),
    ("Презентация продукта", "Product presentation"),
    ("Работа с возражениями", "Handling objections"),
    ("Вежливость и тон", "Politeness and tone"),
    ("Темп и ясность речи", "Pace and clarity of speech"),
    ("Соблюдение стандартов компании", "Company standards"),
    ("Удовлетворённость клиента", "Customer satisfaction"),
    ("Итог разговора и следующий шаг", "Call closing and next step"),
)

QUESTION_PACKS = (
    (27, "Вопросы по умолчанию", 10),
    (31, "Скрипт продаж", 7),
    (42, "Возвраты и претензии", 3),
    (58, "Только резюме (без критериев)", 0),
)
"""(evaluationId, evaluationTitle, number of criteria)."""

CRITERION_RU = {
    "low": (
        "{topic}: оператор не справился, клиенту пришлось повторять вопрос несколько раз.",
        "{topic}: требования скрипта не выполнены, разговор ушёл в конфликт.",
    ),
    "mid": (
        "{topic}: в целом выполнено, но оператор отвечал неуверенно и с паузами.",
        "{topic}: оператор следовал скрипту, однако упустил уточняющие вопросы.",
    ),
    "high": (
        "{topic}: выполнено полностью, оператор был вежлив и точен.",
        "{topic}: оператор уверенно вёл разговор и подтвердил договорённости.",
    ),
}
CRITERION_EN = {
    "low": (
        "{topic}: the operator struggled and the customer had to repeat the question.",
        "{topic}: the script was not followed; phrases like 'вы не понимаете' show the tension.",
    ),
    "mid": (
        "{topic}: mostly done, although the operator hesitated before answering.",
        "{topic}: the operator followed the script but missed clarifying questions.",
    ),
    "high": (
        "{topic}: fully done; the operator was polite, clear and precise.",
        "{topic}: the operator led the call confidently and confirmed the agreement.",
    ),
}

SUMMARY_RU = {
    "open": (
        "Клиент позвонил уточнить статус заказа.",
        "Оператор связался с клиентом по поводу продления договора.",
        "Клиент обратился с вопросом о возврате денег за товар.",
        "Разговор начался с приветствия, клиент сразу перешёл к жалобе на доставку.",
        "Клиент интересовался условиями рассрочки и скидками.",
    ),
    "low": (
        "Клиент несколько раз повторял, что его не слышат, и требовал руководителя.",
        "Оператор перебивал клиента, и напряжение в разговоре росло.",
    ),
    "mid": (
        "Оператор ответил на основные вопросы, но не предложил следующий шаг.",
        "Клиент остался с сомнениями и обещал подумать.",
    ),
    "high": (
        "Оператор подробно ответил на вопросы и предложил удобное решение.",
        "Клиент поблагодарил за помощь и согласился оформить заказ.",
    ),
    "close": (
        "Договорились о повторном звонке.",
        "Заявка передана в профильный отдел.",
        "Разговор завершён вежливо.",
    ),
}
SUMMARY_EN = {
    "open": (
        "The customer called to check the status of an order.",
        "The operator contacted the customer about renewing the contract.",
        "The customer asked about a refund for a returned item.",
    ),
    "low": (
        "The customer expressed frustration, saying 'вы ничего не понимаете' more than once.",
        "The operator interrupted the customer and the tension kept rising.",
    ),
    "mid": (
        "The operator answered the main questions but did not propose a next step.",
        "The customer remained unsure and said 'я подумаю'.",
    ),
    "high": (
        "The operator answered every question and offered a convenient solution.",
        "The customer thanked the operator and agreed to place the order.",
    ),
    "close": (
        "A follow-up call was agreed.",
        "The request was passed to the responsible department.",
    ),
}

LOYALTY_DESCRIPTION = {
    "low": (
        "Клиент недоволен обслуживанием и не доверяет обещаниям оператора.",
        "The customer was clearly dissatisfied and felt ignored by the operator.",
    ),
    "mid": (
        "Клиент настроен нейтрально: вопросы решены частично.",
        "The customer's attitude stayed neutral; the issue was only partly resolved.",
    ),
    "high": (
        "Клиент доволен, готов рекомендовать компанию знакомым.",
        "The customer was satisfied and open to further cooperation.",
    ),
}
LOYALTY_RECOMMENDATION = {
    "low": (
        "Перезвонить клиенту в течение дня и предложить компенсацию.",
        "Follow up with the customer today and clarify the service terms.",
    ),
    "mid": (
        "Отправить клиенту письмо с итогами разговора.",
        "Send a short summary of the agreements to the customer.",
    ),
    "high": (
        "Предложить клиенту программу лояльности.",
        "Offer the customer the loyalty programme.",
    ),
}
EVALUATION_RECOMMENDATION = {
    "low": (
        "Провести с оператором тренинг по работе с возражениями и активному слушанию.",
        "Operators should be trained in active listening and de-escalation.",
    ),
    "mid": (
        "Обратить внимание оператора на завершение разговора и фиксацию следующего шага.",
        "Remind the operator to close the call with a clear next step.",
    ),
    "high": (
        "Использовать запись разговора как пример для новых сотрудников.",
        "Use this call as a positive example in onboarding.",
    ),
}

SIGNALS_TITLE = "возражения, стоп слова"
SIGNAL_WORDS = (
    "дорого",
    "скидка",
    "конкуренты",
    "я подумаю",
    "вы не понимаете",
    "жалоба",
    "возврат денег",
    "не кричите",
    "это ваша проблема",
    "перезвоните позже",
    "руководитель",
    "договор",
    "рассрочка",
    "не устраивает",
    "отказ",
    "доставка",
    "гарантия",
    "может быть",
    "блин",
    "у вас недостаточно средств",
)
