"""What the generic HTTP SMS backend sends, built from its settings alone (no network here; the
exchange with a real local gateway is tested in tests/integration/test_sms_http_gateway.py)."""
import json

import pytest

from portal.integrations.sms import SmsError
from portal.integrations.sms.http import HttpGateway, fill, parse_headers

PHONE, TEXT = "+79161234567", "Код 123456 & ссылка: https://p.example/my/x?a=1"


def gateway(**settings) -> HttpGateway:
    return HttpGateway.from_config({"SMS_HTTP_URL": "https://sms.example/send?to={phone}&msg={text}", **settings})


def test_get_puts_the_url_encoded_values_into_the_url():
    request = gateway(SMS_SENDER="Portal Shop").request(PHONE, TEXT)
    assert request.get_method() == "GET" and request.data is None
    assert request.full_url == ("https://sms.example/send?to=%2B79161234567&msg=%D0%9A%D0%BE%D0%B4%20123456%20%26%20"
                                "%D1%81%D1%81%D1%8B%D0%BB%D0%BA%D0%B0%3A%20https%3A%2F%2Fp.example%2Fmy%2Fx%3Fa%3D1")
    with_sender = gateway(SMS_HTTP_URL="https://sms.example/s?from={sender}&to={phone_digits}&t={text}")
    assert with_sender.request(PHONE, "hi").full_url == "https://sms.example/s?from=&to=79161234567&t=hi"


def test_post_json_escapes_the_values_as_json_string_contents():
    g = gateway(SMS_HTTP_URL="https://sms.example/api", SMS_HTTP_METHOD="post", SMS_HTTP_CONTENT_TYPE="json",
                SMS_HTTP_BODY='{"to": "{phone}", "text": "{text}", "from": "{sender}"}', SMS_SENDER="Shop",
                SMS_HTTP_HEADERS="Authorization: Bearer s3cret; X-Client: portal")
    request = g.request(PHONE, 'say "hi"\nnow {phone}')
    assert request.get_method() == "POST"
    assert json.loads(request.data) == {"to": PHONE, "text": 'say "hi"\nnow {phone}', "from": "Shop"}
    assert request.get_header("Content-type") == "application/json; charset=utf-8"
    assert request.get_header("Authorization") == "Bearer s3cret"
    assert request.get_header("X-client") == "portal"


def test_post_form_encodes_the_body_as_a_form():
    g = gateway(SMS_HTTP_URL="https://sms.example/api", SMS_HTTP_METHOD="POST",
                SMS_HTTP_BODY="to={phone}&text={text}")
    request = g.request(PHONE, "a b&c=d")
    assert request.data == b"to=%2B79161234567&text=a+b%26c%3Dd"
    assert request.get_header("Content-type") == "application/x-www-form-urlencoded; charset=utf-8"


def test_placeholders_are_replaced_in_one_pass():
    assert fill("{text}|{phone}", {"text": "{phone}", "phone": "1"}, str) == "{phone}|1"


def test_headers_are_name_value_pairs_separated_by_semicolons_or_lines():
    assert parse_headers("A: 1; B-c: two words\nD:3") == [("A", "1"), ("B-c", "two words"), ("D", "3")]
    assert parse_headers("") == []
    with pytest.raises(SmsError, match="not 'Name: value'"):
        parse_headers("Authorization Bearer x")


@pytest.mark.parametrize("settings, message", [
    ({"SMS_HTTP_URL": ""}, "must be an http"),
    ({"SMS_HTTP_URL": "ftp://x/{phone}/{text}"}, "must be an http"),
    ({"SMS_HTTP_URL": "https://x/?to={phone}"}, "must contain {phone} and {text}"),
    ({"SMS_HTTP_METHOD": "PUT"}, "GET or POST"),
    ({"SMS_HTTP_BODY": "x={text}"}, "needs SMS_HTTP_METHOD=POST"),
    ({"SMS_HTTP_METHOD": "POST", "SMS_HTTP_CONTENT_TYPE": "xml"}, "form or json"),
    ({"SMS_HTTP_SUCCESS": "re:(unclosed"}, "SMS_HTTP_SUCCESS is not a valid regular expression"),
    ({"SMS_HTTP_MESSAGE_ID": "[x"}, "SMS_HTTP_MESSAGE_ID is not a valid regular expression"),
])
def test_a_wrong_setting_is_a_clear_error(settings, message):
    with pytest.raises(SmsError, match=message.replace("{", r"\{").replace("}", r"\}").replace("(", r"\(")):
        gateway(**settings)


def test_the_phone_and_text_may_be_in_the_body_only():
    g = gateway(SMS_HTTP_URL="https://sms.example/api", SMS_HTTP_METHOD="POST", SMS_HTTP_BODY="p={phone_digits}&t={text}")
    assert g.request(PHONE, "x").data == b"p=79161234567&t=x"
