# Lists every image tagged bench-page through python-glanceclient's API, 20 per page.
import os
from keystoneauth1 import loading, session
from glanceclient import Client

loader = loading.get_plugin_loader("password")
auth = loader.load_from_options(
    auth_url=os.environ["OS_AUTH_URL"], username=os.environ["OS_USERNAME"], password=os.environ["OS_PASSWORD"],
    project_name=os.environ["OS_PROJECT_NAME"], user_domain_name=os.environ["OS_USER_DOMAIN_NAME"],
    project_domain_name=os.environ["OS_PROJECT_DOMAIN_NAME"])
glance = Client("2", session=session.Session(auth=auth))
n = sum(1 for _ in glance.images.list(filters={"tag": ["bench-page"]}, page_size=20))
assert n >= 2000, n
