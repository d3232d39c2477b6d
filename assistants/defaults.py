"""What a new assistant starts with: a safe policy and the three standard request types."""

DEFAULT_POLICY = (
    "You are the support assistant of {company}. Answer the customer's question using only the numbered "
    "knowledge context. If the context does not contain the answer, say that you will pass the question "
    "to a colleague. Never promise refunds, discounts or dates that the context does not state."
)

DEFAULT_REQUEST_TYPES = {
    "support": (
        "Help the customer solve the problem step by step.",
        [
            "I cannot log in to my account",
            "How do I reset my password?",
            "The app crashes when I upload a file",
            "Where can I download my invoice?",
            "Two-factor authentication codes are not arriving",
            "How do I change the email on my account?",
            # Questions about how things work, hours and policies are support too, not sales or complaints.
            "When is your hotline open?",
            "What does the warranty cover?",
            "How long does delivery take?",
            "Can I return an item I bought?",
            "What is your phone number?",
            "Is water damage covered?",
            # Russian: the same kinds of request, so a Russian question finds neighbours in its own language.
            "Не могу войти в личный кабинет",
            "Как сбросить пароль?",
            "Где скачать счёт за прошлый месяц?",
            "Не приходит код подтверждения по СМС",
            "Как подключить роуминг перед поездкой?",
            "По какому номеру звонить в поддержку?",
            "Когда списывается абонентская плата?",
            "Сколько идёт доставка до Казани?",
            "Можно ли вернуть товар надлежащего качества?",
            "Как перенести номер от другого оператора?",
        ],
    ),
    "sales": (
        "Explain plans and prices from the context; offer to connect the customer with sales for a quote.",
        [
            "How much does the business plan cost?",
            "Do you offer discounts for non-profits?",
            "I want to buy 50 licenses for my team",
            "Can we get a demo of the enterprise plan?",
            "What is the difference between the Pro and Business plans?",
            "Is there an annual billing option?",
            "Can I get a quote for my company?",
            "Which plan should I buy for a team of twenty?",
            "Сколько стоит корпоративный тариф?",
            "Хочу подключить 30 сотрудников, какие условия?",
            "Есть ли скидки для некоммерческих организаций?",
            "Можно получить коммерческое предложение для нашей компании?",
            "Чем отличается тариф «Базовый» от «Максимума»?",
            "Есть ли оплата за год со скидкой?",
        ],
    ),
    "complaint": (
        "Acknowledge the problem and apologise briefly; do not argue; say a person will follow up.",
        [
            "This is the third time my order arrived broken, I am furious",
            "Your support never answers, this is unacceptable",
            "I was charged twice and nobody helps me",
            "Terrible service, I want to speak to a manager",
            "The courier was rude and left my parcel in the rain",
            "I am very disappointed with the quality of your product",
            "This is ridiculous, I have asked three times already",
            "You broke your promise and I want compensation",
            "Третий раз пишу, а проблему так и не решили, это возмутительно",
            "С меня дважды списали деньги, и никто не помогает",
            "Ужасный сервис, требую связать меня с руководителем",
            "Курьер нагрубил и оставил посылку под дождём",
            "Я очень недоволен качеством связи, требую компенсацию",
            "Вы обещали перезвонить и не перезвонили, это безобразие",
        ],
    ),
}
DEFAULT_ALWAYS_ESCALATE = ["complaint"]
