"""The default screenshot labels of a tenant (seed 002's support categories), with prompts and text examples.

Managers edit them per tenant; these are what a new tenant starts with. The examples are
the kind of text such screenshots show, in English and Russian, not the benchmark's screens
(bench/vision.py, assistants/vision/samples.py).
"""

from __future__ import annotations

from typing import TypedDict


class LabelDefaults(TypedDict):
    name: str
    title: str
    description: str
    examples: list[str]
    is_fallback: bool


# Russian texts of the same kinds: Russian screenshots are classified by nearest examples too.
RUSSIAN_EXAMPLES: dict[str, list[str]] = {
    "interface_error": [
        "Неверный логин или пароль. Попробуйте ещё раз.",
        "Войти Пароль Забыли пароль?",
        "Вход в учётную запись",
        "Это поле обязательно для заполнения",
        "Введите корректный номер телефона",
        "Пароли не совпадают",
        "Неверный код подтверждения",
        "Сеанс истёк. Войдите снова.",
        "Учётная запись заблокирована после нескольких неудачных попыток входа",
        "Страница не найдена",
        "Формат файла не поддерживается",
        "Ничего не найдено",
    ],
    "payment_problem": [
        "Оплата не прошла",
        "Ваша карта отклонена",
        "Платёж отклонён банком",
        "Недостаточно средств на карте",
        "Не удалось провести оплату. Выберите другой способ оплаты.",
        "Срок действия карты истёк",
        "Ошибка оплаты: проверка 3-D Secure не пройдена",
        "Счёт просрочен: требуется оплата",
        "Деньги списаны дважды",
        "Неверный CVC-код",
        "Оплатить заказ Итого к оплате",
        "Возврат средств в обработке",
    ],
    "technical_failure": [
        "500 Внутренняя ошибка сервера",
        "Сервис временно недоступен",
        "Приложение перестало работать",
        "Что-то пошло не так. Повторите попытку позже.",
        "Превышено время ожидания подключения",
        "Не удаётся получить доступ к сайту",
        "Необработанное исключение",
        "Ошибка подключения к базе данных",
        "Синхронизация не удалась: сервер не отвечает",
        "Нет соединения с интернетом",
        "Ошибка 0x80004005: неопознанная ошибка",
        "Не удалось загрузить файл: ошибка сети",
        "Статус устройства: не в сети",
        "Роутер не в сети",
        "Сигнал потерян",
        "Подключение отсутствует",
    ],
    "product_question": [
        "Тарифы Базовый 500 ₽ в месяц Бизнес 2000 ₽ в месяц",
        "Сравнить тарифы",
        "Перейдите на тариф Про, чтобы открыть эту функцию",
        "Настройки Уведомления Оповещения по почте",
        "Экспорт данных в CSV",
        "Пробный период закончится через 3 дня",
        "Пригласить участников команды",
        "Использовано 4,2 ГБ из 5 ГБ",
        "Настройки профиля Язык Часовой пояс",
    ],
    "other": [
        "С днём рождения",
        "Заметки со встречи",
        "Меню на сегодня",
        "Глава 1",
        "Выход",
    ],
}

DEFAULT_LABELS: list[LabelDefaults] = [
    {
        "name": "interface_error",
        "title": "Interface error",
        "description": "an app or website screen with an error message: a form that rejects input, a failed "
        "sign-in, a broken link or an empty page",
        "examples": [
            "Invalid email or password. Please try again.",
            "This field is required",
            "Please enter a valid phone number",
            "Passwords do not match",
            "Incorrect verification code",
            "Your session has expired. Please sign in again.",
            "Account locked after too many failed login attempts",
            "Sign in to your account Forgot password? Log in",
            "Username is already taken",
            "404 Page not found. The page you are looking for does not exist.",
            "File type not supported. Upload a PNG or JPG.",
            "No results found. Try a different search.",
            "Nothing here yet",
            "The Save button is greyed out and does nothing",
            "This link has expired",
            *RUSSIAN_EXAMPLES["interface_error"],
        ],
        "is_fallback": False,
    },
    {
        "name": "payment_problem",
        "title": "Payment problem",
        "description": "a checkout or billing screen saying that a card was declined or a payment failed",
        "examples": [
            "Your card was declined",
            "Payment failed. Please use a different payment method.",
            "Transaction declined by issuer",
            "Insufficient funds",
            "We couldn't process your payment",
            "Your card has expired. Update your billing details.",
            "3-D Secure authentication failed",
            "Invoice overdue: payment required to continue",
            "You were charged twice for this order",
            "The security code (CVC) is incorrect",
            "Billing address does not match the card",
            "Subscription renewal payment unsuccessful",
            "Checkout Pay now Order total",
            "Refund pending",
            *RUSSIAN_EXAMPLES["payment_problem"],
        ],
        "is_fallback": False,
    },
    {
        "name": "technical_failure",
        "title": "Technical failure",
        "description": "a crash, a server error, a timeout or a connection failure",
        "examples": [
            "500 Internal Server Error",
            "502 Bad Gateway",
            "503 Service Unavailable",
            "The application has stopped working",
            "Something went wrong. Please try again later.",
            "Connection timed out",
            "ERR_CONNECTION_REFUSED This site can't be reached",
            "Unhandled exception: NullPointerException at line 42",
            "Database connection failed",
            "Sync failed: could not reach the server",
            "Fatal error: out of memory",
            "The app crashed unexpectedly",
            "Request failed with status code 500",
            "Upload failed: network error",
            "Error 0x80004005 unspecified error",
            "Router status: offline",
            "Device status: not responding",
            "Signal lost",
            "The modem is not connected",
            *RUSSIAN_EXAMPLES["technical_failure"],
        ],
        "is_fallback": False,
    },
    {
        "name": "product_question",
        "title": "Product question",
        "description": "a product page, a pricing table, a plan comparison or a settings screen",
        "examples": [
            "Pricing Basic $10/month Plus $25/month Business $99/month",
            "Compare plans",
            "Upgrade to Pro to unlock this feature",
            "Settings Notifications Email alerts",
            "Export your data as CSV",
            "Your free trial ends in 3 days",
            "Invite team members",
            "Storage used 4.2 GB of 5 GB",
            "Choose the plan that fits your team",
            "Features: unlimited projects, priority support",
            "Integrations: connect your calendar",
            "How do I change my delivery address?",
            "Account settings Profile Language Time zone",
            *RUSSIAN_EXAMPLES["product_question"],
        ],
        "is_fallback": False,
    },
    {
        "name": "other",
        "title": "Other",
        "description": "a photo, a document or anything else that is not a software screen",
        "examples": [
            "Happy birthday",
            "Meeting notes",
            "Welcome to the office",
            "Menu of the day",
            "Lorem ipsum dolor sit amet",
            "Chapter 1",
            "Exit",
            *RUSSIAN_EXAMPLES["other"],
        ],
        "is_fallback": True,
    },
]

# CLIP prompt ensemble: each label's description is put into every template, and their embeddings are averaged.
PROMPT_TEMPLATES = (
    "a screenshot of {}.",
    "a screenshot showing {}.",
    "an image of {}.",
    "a cropped screenshot of {}.",
    "a photo of a screen with {}.",
    "{}.",
)
