"""The decisions, host-neutral: each module is one thing a request does.

- :mod:`.settings`: the ``edupushplus_*`` policies read and checked;
- :mod:`.push`: plan and store a push for a login;
- :mod:`.sending`: when and how the stored push leaves for Firebase;
- :mod:`.answer`: judge and apply the phone's answer;
- :mod:`.poll`: serve the phone's poll;
- :mod:`.enrollment`: finish an enrollment (step 2);
- :mod:`.phone`: the phone's endpoint, routing each request to the above.

They talk to the host only through :mod:`edupush_token.ports`.
"""
