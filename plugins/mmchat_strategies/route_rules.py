"""The router's default rules: what code, maths and creative requests look like.

Keywords alone miss most real prompts ("3x + 7 = 22", "17% of 240", "my useEffect runs
twice", a toast for a wedding, anything not in English), so the rules are mostly
*shapes*: code-like text (calls, operators, identifiers, error names, commands,
file names), equations and percentages, and the words for "poem", "story", "toast"…
in the languages people write in. A plain word or phrase matches as a whole word
(case-insensitive); anything else is a regular expression. Order matters for ties:
the first category listed wins a tie.

Written from the requests people send to chat assistants, and tuned on
tests/data/routing/dev.jsonl only; tests/data/routing/heldout.jsonl is for reporting.
"""

from __future__ import annotations

# fmt: off
CODE: list[str] = [
    # shapes of code
    r"`[^`\n]+`", r"```", r"\b\w+\(\)", r"\b[a-z_]\w*\.[a-z_]\w*\(", r"=>", r"===?|!==?",
    r"::", r"\{\s*\}|\$\{", r";\s*$", r"\b[a-z]+_[a-z_]+\b",
    # (?-i:…): these shapes are about case (camelCase, CamelCase, SQL keywords)
    r"(?-i:\b[a-z]+[A-Z][a-z]+[A-Za-z]*\b)", r"(?-i:\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b)",
    r"(?-i:\b(?:SELECT|FROM|WHERE|GROUP BY|ORDER BY|JOIN|INSERT INTO|UPDATE|DELETE FROM)\b)",
    r"(?-i:^\s*(?:def|class|import|from|const|let|var|function|fn|func)\s+\w+)",
    r"(?-i:\b\w+(?:Error|Exception)\b)", r"\bTraceback\b", r"\bsegmentation fault\b",
    r"core dumped", r"\bERR!", r"#N/A|(?-i:=[A-Z]+\()",
    r"(?<![\w.])\.(?:py|js|ts|tsx|jsx|json|yaml|yml|toml|md|html|css|sh|sql|go|rs|java|cpp"
    r"|gitignore|env|csv|jpe?g|png|ipynb)\b",
    r"\b(?:git|pip|npm|yarn|docker|kubectl|brew|apt|cargo|conda|ssh|sudo|vim|nginx|cron)\b",
    # the things code is about
    "python", "javascript", "typescript", "java", "javie", "rust", "golang", "kotlin", "swift",
    "c\\+\\+", "c#", r"\bphp\b", "ruby", "perl", "scala", "haskell", "react", "vue", "angular",
    "node.js", "nodejs", "js", "django", "flask", "css", "html", "flexbox", "sql",
    "postgresql", "postgres",
    "mysql", "sqlite", "mongodb", "redis", "regex", "regexp", "bash", "shell", "powershell",
    "script", "function", "method", "compile", "compiler", "bug", "debug", "api", "json",
    "yaml", "docker", "kubernetes", "linux", "terminal", "commit", "repository", "repo",
    "pointer", "array", "string", "variable", "loop", "big-o", "algorithm", "recursion",
    "monorepo", "tsconfig", "webpack", "deploy", "backend", "frontend", "database", "query",
    "vlookup", "excel formula", "spreadsheet formula", "unit test", "stack trace", "framework",
    "library", "vs code", "vscode", "ide", "github", "gitlab", "localhost", "port",
    "generator", "dict", "dictionary in python",
    # more of what code is about (words that rarely mean anything else)
    "android", "ios app", "xcode", "unity", "godot", "arduino", "raspberry pi", "vba",
    "excel macro", "google sheets formula", "jupyter", "pandas", "numpy",
    "matplotlib", "tensorflow", "pytorch", "neural network", "csv", "xml", "http", "https",
    "rest api", "graphql", "oauth", "jwt", "ssl", "dns", "ip address", "cors", "websocket",
    "latex", "markdown", "wordpress", "shopify", "webhook", "aws", "lambda", "s3", "ec2",
    "azure", "gcp", "terraform", "ansible", "jenkins", "github actions", "ci/cd", "makefile",
    "cmake", "gcc", "clang", "segfault", "memory leak", "race condition", "deadlock",
    "mutex", "async", "await", "promise", "callback", "closure", "inheritance", "enum",
    "struct", "hashmap", "hash map", "linked list", "binary tree", "binary search", "bfs",
    "dfs", "dynamic programming", "leetcode", "pytest",
    r"\bjest\b(?=.*\b(?:test|mock|snapshot|expect)s?\b)", "unit tests", "null pointer",
    "undefined", "stack overflow", "stackoverflow", "infinite loop", "kafka",
    "rabbitmq", "elasticsearch", "orm", "primary key", "foreign key", "sql injection",
    "endpoint", "http status", "status code", "npm", "pip install", "virtualenv", "venv",
    "conda", "dockerfile", "yaml file", "env var", "environment variable", "cron job",
    "systemd", "ssh key", "git branch", "merge conflict", "pull request", "code review",
    "refactor", "lint", "linter", "typescript error", "type error", "syntax error",
    "compile error", "runtime error", "exception", "traceback", "log file", "app crashes",
    "crashes on startup", "chrome extension", "browser extension", "frontend", "backend",
    "div", "padding", r"\bmargin\b.*\b(?:div|css|px|element|flex)\b",
    r"\b(?:merge|rebase|checkout)\b.*\bbranch(?:es)?\b|\bbranch(?:es)?\b.*\b(?:merge|rebase)\b",
    r"\bthreads?\b.*\bprocess(?:es)?\b|\bprocess(?:es)?\b.*\bthreads?\b",
    "functions", "scripts", "arrays", "strings", "variables", "loops", "pointers",
    "queries", "databases", "commits", "bugs", "branches in git", "regular expression",
    "full stack", "web app", "html page", "css grid", "tailwind", "bootstrap",
    "next.js", "nextjs", "svelte", "laravel", "spring boot", "rails", ".net", "dotnet",
    r"\b(?:if|for|while|switch|catch)\s*\(", r"\bprograms? (?:that|to|which)\b|\bmy program\b",
    # sites, servers and apps someone runs (not "a good website for…"), in many languages
    r"\b(?:my|our)\s+(?:own\s+)?(?:web\s?site|site|web\s?app|web\s?shop|online shop|server)\b",
    r"\b(?:mon|notre)\s+(?:site|serveur|appli\w*)\b",
    r"\b(?:mi|nuestra?)\s+(?:p[aá]gina web|web|sitio|servidor|app)\b",
    r"\b(?:meine?|unsere?)\s+(?:web\s?seite|website|seite|server|app)\b",
    r"\b(?:meu|minha|nosso)\s+(?:site|servidor|app|aplicativo)\b",
    r"\b(?:il mio|il nostro)\s+(?:sito|server)\b",
    r"\b(?:mijn|onze)\s+(?:website|site|server|app)\b",
    r"\b(?:moja|moj[ae]?|nasz[ae]?)\s+(?:strona|serwer|aplikacja)\b",
    r"(?:мой|наш|моя|мій|моє)\s+(?:сайт|сервер|приложени\w*|застосун\w*)",
    "server", "serveur", "servidor", "serwer", "сервер*", "sunucu", "webbserver", "webbplats",
    "webseite", "site web", "sito web", "página web", "strona internetowa", "сайт*",
    "base de données", "base de datos", "banco de dados", "Datenbank", "baza danych",
    "база данных", "déploiement", "despliegue", "deployen", "деплой*",
    "plugin", "Umgebungsvariable", "en producción", "em produção", "in produzione",
    "сборк*", "коммит*", "репозитори*", "Makro", "macro", "makro",
    r"\b(?:40[0134]|50[0234])\b[^\d\n]{0,25}"
    r"\b(?:error|erreur|fehler|errore|erro|błąd|not found|bad gateway)"
    r"|(?:error|erreur|fehler|errore|erro|błąd|ошибк\w*|помилк\w*)\D{0,10}\b(?:40[0134]|50[0234])\b",
    "服务器", "网页", "网站", "部署", "数据库", "报错", "サーバー", "サイト", "デプロイ",
    "データベース", "アプリが", "서버", "배포", "코드", "오류", "앱이", "aplikace", "uygulamam",
    "uygulama çök*", "appen kraschar", "kraschar", "падает", "падає", "вылетает",
    # …in other languages
    "código", "codigo", "programa", "programación", "función", "funcion", "fonction",
    "programme", "chaîne de caractères", "Funktion", "Programmieren", "programmieren",
    "Skript", "programmare", "funzione", "codice", "funkcja", "programowanie", "kod",
    "functie", "programmeren", "программ*", "код", "функци*", "скрипт*", "编程", "代码", "程序",
    "函数", "プログラム", "コード", "関数", "エラー",
]

MATH: list[str] = [
    # shapes of maths
    r"\d\s*[-+*/×÷^−]\s*\d", r"\d\s*[a-z]\s*[-+−=]", r"\b[a-z]\s*[=<>≤≥]\s*\d",
    r"[a-z]\s*[²³]|\^\s*\d|\bx\s*\^", r"\d+\s*%|%\s*\d", r"[∫∑√π∞≈≠≤≥]|→\s*∞|->\s*∞",
    r"\blim\b", r"\b(?:log|ln|sin|cos|tan|sqrt)(?:\s*\(|²|\b\s*\d)", r"\b\d+/\d+\b",
    r"\d+\s*°\s*[FC]\b.*\b(?:in|to)\b", r"\b\d+(?:\.\d+)?\s*(?:km/h|mph)\b",
    # the words of maths
    "solve", "solve for", "equation", "calculate", "compute", "derivative", "differentiate",
    "integral", "integrate", "probability", r"\bchances? (?:of|that|both|to)\b",
    r"\bthe odds\b|\bodds of\b", "percent", "percentage", "fraction",
    r"\baverage\b.*\d|\d.*\baverage\b", r"\b(?:the|arithmetic) mean\b|\bmean of\b",
    "median", "std dev", "standard deviation", "variance", "matrix", "eigenvector",
    "eigenvalue", "theorem", "proof", "prove", "factorial", "logarithm", "log base",
    "square root", "cube root", "cubed", "quadratic", "polynomial", "geometry", "triangle",
    "rectangle", r"\barea of\b", r"\bvolume of\b", "perimeter", "how many ways",
    "consecutive", "sum of", "product of", "divisible", r"\bprimes?\b(?! minister)",
    r"\bprime numbers?\b", "arithmetic", "algebra", r"\bhow much is \d",
    r"\bwhat(?:'s| is|s) \d",
    # operations in words, and more of the words of maths
    r"\b\d+(?:\.\d+)?\s*(?:plus|minus|times|divided by|multiplied by|over)\s*\d",
    r"\b(?:squared|cubed|to the power of)\b", r"\bhalf of \d|\d+ ?% off\b",
    "pythagorean", "pythagoras", "bayes", "p-value", "correlation", "regression",
    "standard error", "confidence interval", "exponent", "exponential", "logarithms",
    "trigonometry", "calculus", "statistics", "combinatorics", "permutation", "combination",
    "factorial", "modulo", "gcd", "lcm", "greatest common divisor", "least common multiple",
    "hypotenuse", "circumference", "diameter", "radius", "angle", "degrees in a",
    "slope", "intercept", "linear equation", "inequality", "vector", "vectors", "integer",
    "integers", "rational number", "irrational", "divide by zero", "0.999", "infinity",
    "compound interest", "interest rate", "how much interest", "mortgage payment",
    "equations", "probabilities", "derivatives", "integrals", "fractions", "averages",
    "percentages", "math problem",
    r"\b[a-z]\s*=\s*[a-z0-9]+\s*[·*×/^+−-]", "roughly how many", "estimate how many",
    "approximately how many", "probabilidade", "面積", "半径", "найди*", "вычисли*",
    "maths problem", "word problem", "homework problem",
    # …in other languages
    "racine carrée", "pourcentage", "fraction", "triangle", "raíz cuadrada", "porcentaje",
    "fracción", "triángulo", "Bruch", "Wurzel", "Dreieck", "Prozentsatz", "Zinsen",
    "radice quadrata", "percentuale", "frazione", "triangolo", "ułamek", "pierwiastek",
    "trójkąt", "wortel", "breuk", "driehoek", "procent van", "корень", "дроб*",
    "интеграл*", "матриц*", "треугольник*", "平方根", "割合", "パーセント", "方程式",
    "面积", "几何", "百分之", "平方", "三角形", "利息",
    # a question about several numbers is a sum to do, in any language
    r"(?is)^(?=.*(?:how (?:many|much|long|far|fast)|what do i need|combien|cu[aá]nt[oa]s?"
    r"|quant[oiae]s?|wie viel|\bile\b|hoeveel|сколько|多少|いくら|何))(?=(?:\D*\d){2})",
    r"\d[\d.,]*\D+\d[\d.,]*\D+\d[\d.,]*\D+\d",
    # Swedish, Turkish, Czech, Korean, Ukrainian, and units to convert
    "hur mycket är", "gånger", "delat med", "kaç eder", "yüzde", "çarpı", "bölü", "kolik je",
    "děleno", "krát", "얼마인가요", "제곱", "풀어", "скільки буде", "помножити", "поділити",
    "площ*", "периметр*", "promieniu", "promień", "aire d'un", "Umfang", "Flächeninhalt",
    r"\b(?:convert|conversion|umrechnen|convertir|converti\w*|omrekenen|przelicz\w*"
    r"|перевед\w*)\b[^.?!]*\d|\d[^.?!]*\b(?:to|in|into)\s+(?:km|kilomet\w+|miles|kg|kilograms?|pounds|lbs"
    r"|°?[CF]|celsius|fahrenheit|litres|liters|gallons|inches|cm|feet|metres|meters)\b",
    # …in other languages
    "résous", "résoudre", "calcule", "calculer", "dérivée", "intégrale", "probabilité",
    "équation", "pourcent", "combien font", "resuelve", "resolver", "calcula", "derivada",
    "probabilidad", "ecuación", "por ciento", "cuánto es", "löse", "berechne", "Ableitung",
    "Wahrscheinlichkeit", "Gleichung", "Prozent", "wie viel ist", "Fläche", "risolvi",
    "calcola", "derivata", "probabilità", "equazione", "quanto fa", "al cubo", "oblicz",
    "rozwiąż", "granicę", "pochodna", "prawdopodobieństwo", "równanie", "procent",
    "bereken", "kans", "вычисли*", "реши*", "производн*", "вероятност*", "уравнени*",
    "процент*", "сколько будет", "解方程", "求解", "を解", "解いて", "计算", "計算", "导数",
    "微分", "概率", "確率", "方程", "多少钱", "打折", "折后", "平均",
]

CREATIVE: list[str] = [
    # the forms
    "poem", "poetry", "verse", "haiku", "limerick", "sonnet", "rhyme", "rhyming", "ode",
    "story", "short story", "tale", "fairy tale", "fable", "bedtime", "fall asleep to",
    "lyrics", r"\ba song\b|\bsong (?:about|for)\b", "shanty", "jingle", "rap", "joke",
    "pun", "punny", "riddle", "toast", "say a few words", "a speech", "wedding speech",
    "speech for", "card message", "birthday card", "slogan", "tagline", "motto",
    "name ideas", "names for", "call it", "name for", "backstory", "plot twist",
    "write a scene", "screenplay", r"\bscript for a (?:play|film|movie|video|sketch|scene)",
    "fiction", "fantasy", "once upon a time", r"(?:^|[.!?]\s*)continue\W*$",
    "finish this", "walks into a bar", "in the style of", r"\bas if\b.*\b(?:wrote|were|was)\b",
    "make this sound", "sound less", "sound more", "rewrite", "role-play", "roleplay",
    r"\byou(?:'re| are) (?:now )?(?:the|a|an)\b(?! (?:best|greatest|right|only)\b)",
    r"\b(?:ye|you) be the\b", "to read at", "para ler", "à lire", "para leer",
    "imagine", "invent", "make up", "come up with", "pretend", "pretend you", "act as",
    "compose", "from the perspective of", "in the voice of", "what if", "write me",
    "love letter", "a letter from", "dialogue", "monologue", "eulogy", "vows", "roast",
    "best man", "pickup line", "pick-up line", "compliment", "tongue twister", "acrostic",
    "caption", "ad copy", "catchy", "parody", "myth", "legend", "band name", "title for",
    "nursery rhyme", "lullaby", "greeting", "wishes", "birthday message",
    # …in other languages
    "poème", "poésie", r"\b(?:une|raconte|invente|écris)\b[^.?!]{0,30}\bhistoire\b",
    "conte", "chanson", "blague", "alexandrins", "rime", "poema", "cuento", "canción",
    "chiste", "rima", "unas palabras", "unas líneas", "Gedicht", "eine Geschichte",
    "Märchen", "Lied", "Witz", "Reim", "Namen für", "poesia", "racconto", "favola",
    "fiaba", "canzone", "barzelletta", "raccontamela", "raccontami", "wiersz", "wierszyk",
    "opowiadanie", "bajka", "bajkę", "piosenka", "piosenkę", "żart", "rijm", "rijmpje",
    "gedicht", "verhaal", "sprookje", "liedje", "grap", "стих*", "сказк*", "рассказ*",
    "песн*", "шутк*", "анекдот*", "рифм*", "придумай", "诗", "故事", "童话", "歌词", "笑话",
    "写一句", "文案", "俳句", "物語", "詩", "歌詞", "冗談", "discurso", "brindis",
    "Trinkspruch", "eine Rede",
    # "make up / imagine / write me …" in other languages
    "invente", "inventa", "imagine", "imagina", "écris", "escribe", "escreva", "erfinde",
    "stell dir vor", "schreib", "immagina", "scrivi", "filastrocca", "indovinello",
    "wymyśl", "wyobraź", "napisz", "verzin", "bedenk", "stel je voor", "schrijf",
    "напиши", "придумай", "сочини", "представь", "書いて", "作って", "考えて", "川柳",
    "キャッチコピー", "写一首", "写一个", "编一个", "创作", "想象", "口号", "广告语", "祝福",
    "致辞", "une lettre", "una carta", "ein Brief", "una lettera", "list miłosny",
    # more ways to ask for writing or make-believe
    "write a", "write an", "write something", "describe a", "describe your",
    "a conversation between", "dialogue between", "in verse", "rhymes with", "nickname",
    "team name", "name my", "a title", "funny", "erzähl", "erzähle", "dichte", "cuéntame",
    "escríbeme", "raconte", "raconte-moi", "écris-moi", "scrivimi", "racconta", "conte",
    "crie", "opowiedz", "расскажи", "написать стих*", "詩を", "物語を", "作詞", "小説",
    "写一篇", "写一段", "编个", "起名", "取名", "起个名字",
    # plurals and more forms
    "poems", "stories", "jokes", "songs", "riddles", "limericks", "haikus", "sonnets",
    "verses", "rhymes", "toasts", "slogans", "taglines", "puns", "stanza",
    "free verse", "ballad", "elegy", "flash fiction", "story idea", "plot idea",
    "worldbuilding", "villain", "superhero", "fan fiction", "fanfic", "dad joke",
    "knock knock", "one-liner", "roast me", "pep talk", "valentine", "chorus",
    "rap battle", "help me write", "the speech", "giving the speech", "give a speech",
    "lights out", "naming my", "naming our", "i'm naming", "something to call", "call ourselves",
    "catchy name", "a name for my", r"^\s*continue\s*[:\-]", "eslogan", "come la chiamo",
    "come lo chiamo", "come chiamare", r"\bpaar\b[^.]{0,30}\bWorte\b",
    r"\bturn (?:this|it) into\b", "dramatically", "on my behalf", "can you write", "draft a toast",
    "short piece",
    "devinette", "poèmes", "chansons", "histoires", "adivinanza", "poesía", "versos",
    "cuentos", "canciones", "chistes", "Gedichte", "Reime", "Witze", "Rätsel",
    "Kurzgeschichte", "Geschichten", "poesie", "racconti", "battuta", "barzellette",
    "poesia", "contos", "piada", "piadas", "charada", "letra de música", "moppen", "raadsel",
    "gedichten", "verhalen", "zagadka", "rymowanka", "wiersze",
    "загадк*", "частушк*", "поздравлени*", "тост*", "なぞなぞ", "ダジャレ", "短歌",
    "名前を考えて", "谜语", "对联", "藏头诗", "剧本",
    # Swedish, Turkish, Czech, Korean, Ukrainian
    "dikt", "dikter", "berättelse", "saga", "sång", "skämt", "skriv en", "şiir", "hikaye",
    "masal", "şarkı", "fıkra", "bir şiir", "báseň", "básničk*", "příběh", "pohádk*", "píseň",
    "vtip", "napiš", "시를", "동시", "이야기를", "동화", "노래를", "농담", "써 주세요", "써줘",
    "вірш*", "казк*", "історію про", "пісню", "жарт*", "歌にして", "歌を作", "詩を書",
    # messages, dedications and copy people ask for
    r"\bsomething (?:funny|sweet|short|cute|romantic|heartfelt|witty|clever|nice|warm)"
    r" (?:to say|to write|for|about)\b",
    r"\b(?:as|like) (?:a |an )?(?:pirate|shakespeare|yoda|cowboy|robot|noir detective"
    r"|sports commentator|medieval knight)\b",
    "a few lines", "caption for", "bio for my", "instagram bio", "dating profile",
    "advertisement", "sales pitch", "product description", "marketing copy", "a letter to",
    "card for", "message for my", "note for my", "greeting card", "quelques mots",
    "un petit mot", "un mensaje para", "una dedicatoria", "ein paar Worte",
    "Glückwünsche", "Widmung", "qualche parola", "un messaggio per", "dedica",
    "algumas palavras", "uma mensagem para", "dedicatória", "een paar woorden",
    "een berichtje", "felicitatie", "kilka słów", "życzenia", "dedykacja", "пару слов",
    "пожелани*", "поздравь", "メッセージ", "お祝い", "一言", "几句话", "贺卡", "留言",
]
# fmt: on

DEFAULT_RULES: dict[str, list[str]] = {"code": CODE, "creative": CREATIVE, "math": MATH}
