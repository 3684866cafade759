-- wrk script: sign in through the API as the account the runner created.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"login": "loadtester", "password": "correct horse battery staple"}'
